-- The WAF configurations' request (load.sh, callgrind.sh): a ~1 KB
-- urlencoded form a shop might get, with a browser's head.
local fields = {
  "name=Ann+O%27Brien", "email=ann.obrien%40example.com", "phone=%2B44+20+7946+0958",
  "address=Flat+3%2C+12+Baker%27s+Row%2C+London", "postcode=NW1+6XE", "plan=pro-yearly",
  "seats=12", "coupon=SPRING-2026", "newsletter=on", "csrf_token=6f1c2e9a0b7d4e3f8a5c1b2d9e0f7a6c",
  "comment=" .. string.rep("Please+select+the+plan+you%27d+recommend+for+a+small+team%2C+and+drop+me+a+line+if+the+invoice+needs+a+PO+number.+", 6),
}
wrk.method = "POST"
wrk.path = "/?ref=newsletter&utm_source=mail&utm_campaign=spring"
wrk.body = table.concat(fields, "&")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Language"] = "en-GB,en;q=0.7"
wrk.headers["Referer"] = "https://shop.example.com/checkout/plan?step=2"
wrk.headers["Cookie"] = "sid=9b2f0c7e4d1a; theme=dark; _ga=GA1.2.1843925735.1700000000; cart=3"
