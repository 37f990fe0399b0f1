# Sourced by load.sh and callgrind.sh: the wrk Lua scripts of the
# configurations that do not send `GET /`, written into a folder by
# `write_client_scripts DIR`; `client_script CONFIG DIR` prints the one
# CONFIG is loaded with (nothing for `GET /`).

write_client_scripts() {
  local dir=$1
  # The WAF configurations' request: ~1 KB urlencoded form a shop might get.
  cp firewall-actix/benches/post.lua "$dir/post.lua"
  sed 's/"name=Ann+O%27Brien"/"name=Zo%C3%AB+M%C3%BCller"/; s/"comment=" \.\. /"comment=Caf%C3%A9+order%3A+" .. /' \
    "$dir/post.lua" >"$dir/post_accented.lua"
  grep -q 'Zo%C3%AB' "$dir/post_accented.lua" && grep -q 'Caf%C3%A9' "$dir/post_accented.lua" \
    || { echo "post_accented.lua: the substitution failed" >&2; return 2; }
  # The same form, every value of its head ending in the request's number.
  cp "$dir/post.lua" "$dir/post_new_head.lua"
  cat >>"$dir/post_new_head.lua" <<'LUA'
local head, count = {}, 0
for name, value in pairs(wrk.headers) do head[name] = value end
request = function()
  count = count + 1
  local n = tostring(count)
  for name, value in pairs(head) do wrk.headers[name] = value .. n end
  wrk.headers["Content-Type"] = head["Content-Type"]
  wrk.headers["Cookie"] = "sid=9b2f0c7e4d1a" .. n .. "; theme=dark" .. n .. "; _ga=GA1.2.1843925735.1700000000" .. n .. "; cart=3" .. n
  return wrk.format(nil, "/?ref=newsletter" .. n .. "&utm_source=mail" .. n .. "&utm_campaign=spring" .. n)
end
LUA
  # Every request from a new client address of 100.64.0.0/10 (4M addresses).
  cat >"$dir/flood.lua" <<'LUA'
local count = 0
request = function()
  count = count + 1
  local n = count % 4194304
  wrk.headers["X-Forwarded-For"] = string.format("100.%d.%d.%d",
    64 + math.floor(n / 65536), math.floor(n / 256) % 256, n % 256)
  return wrk.format(nil, "/")
end
LUA
}

client_script() {
  case $1 in
    waf | bare_post) echo "$2/post.lua" ;;
    waf_accented) echo "$2/post_accented.lua" ;;
    waf_new_head) echo "$2/post_new_head.lua" ;;
    limit_flood | bare_flood) echo "$2/flood.lua" ;;
  esac
}
