-- Runs an ArgoCD health.lua against one manifest, the way ArgoCD does: the manifest is the global
-- `obj`, the script's return value is {status, message}. Lua 5.1, no libraries.
-- Usage: lua5.1 hack/lua-health.lua path/to/health.lua < manifest.json
-- Prints {"status":"...","message":"..."} (JSON) on stdout; exits 1 with a message on error.
local script = arg[1]
if script == nil then
  io.stderr:write("usage: lua5.1 hack/lua-health.lua HEALTH_LUA < MANIFEST_JSON\n")
  os.exit(2)
end

-- A small JSON decoder: objects -> tables, arrays -> 1-based tables, null -> nil (as ArgoCD's
-- conversion leaves absent fields nil), numbers -> numbers.
local function decode(text)
  local pos = 1
  local value
  local function fail(what)
    error(string.format("JSON: %s at byte %d", what, pos), 0)
  end
  local function ws()
    pos = string.find(text, "[^ \t\r\n]", pos) or (#text + 1)
  end
  local escapes = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
  local function utf8(cp)
    if cp < 0x80 then return string.char(cp) end
    if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
    return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local c = string.sub(text, pos, pos)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = pos + 1; return table.concat(out) end
      if c == "\\" then
        local e = string.sub(text, pos + 1, pos + 1)
        if e == "u" then
          local hex = string.sub(text, pos + 2, pos + 5)
          local cp = tonumber(hex, 16) or fail("bad \\u escape")
          if cp >= 0xD800 and cp <= 0xDBFF and string.sub(text, pos + 6, pos + 7) == "\\u" then
            local lo = tonumber(string.sub(text, pos + 8, pos + 11), 16) or fail("bad surrogate")
            cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
            pos = pos + 6
            out[#out + 1] = string.char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
              0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
          else
            out[#out + 1] = utf8(cp)
          end
          pos = pos + 6
        else
          out[#out + 1] = escapes[e] or fail("bad escape")
          pos = pos + 2
        end
      else
        local stop = string.find(text, '["\\]', pos) or fail("unterminated string")
        out[#out + 1] = string.sub(text, pos, stop - 1)
        pos = stop
      end
    end
  end
  function value()
    ws()
    local c = string.sub(text, pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1; ws()
      if string.sub(text, pos, pos) == "}" then pos = pos + 1; return t end
      while true do
        ws()
        if string.sub(text, pos, pos) ~= '"' then fail("expected a key") end
        local k = str(); ws()
        if string.sub(text, pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        t[k] = value(); ws()
        local d = string.sub(text, pos, pos); pos = pos + 1
        if d == "}" then return t end
        if d ~= "," then fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      local t, n = {}, 0
      pos = pos + 1; ws()
      if string.sub(text, pos, pos) == "]" then pos = pos + 1; return t end
      while true do
        n = n + 1
        t[n] = value(); ws()
        local d = string.sub(text, pos, pos); pos = pos + 1
        if d == "]" then return t end
        if d ~= "," then fail("expected ',' or ']'") end
      end
    elseif c == '"' then
      return str()
    elseif string.sub(text, pos, pos + 3) == "true" then pos = pos + 4; return true
    elseif string.sub(text, pos, pos + 4) == "false" then pos = pos + 5; return false
    elseif string.sub(text, pos, pos + 3) == "null" then pos = pos + 4; return nil
    end
    local num = string.match(text, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if num == nil or num == "" then fail("unexpected character") end
    pos = pos + #num
    return tonumber(num) or fail("bad number")
  end
  local v = value(); ws()
  if pos <= #text then fail("trailing characters") end
  return v
end

local function quote(s)
  s = string.gsub(tostring(s), '[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. s .. '"'
end

local ok, manifest = pcall(decode, io.read("*a"))
if not ok then
  io.stderr:write(manifest .. "\n")
  os.exit(1)
end
obj = manifest -- luacheck: ignore (ArgoCD hands the script a global `obj`)
local chunk, err = loadfile(script)
if chunk == nil then
  io.stderr:write(err .. "\n")
  os.exit(1)
end
local ran, hs = pcall(chunk)
if not ran then
  io.stderr:write(tostring(hs) .. "\n")
  os.exit(1)
end
if type(hs) ~= "table" then
  io.stderr:write("health script returned " .. type(hs) .. ", not a table\n")
  os.exit(1)
end
io.write("{\"status\":" .. quote(hs.status or "") .. ",\"message\":" .. quote(hs.message or "") .. "}\n")
