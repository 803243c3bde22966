-- wrk script for bench/run.sh: cycles through the same requests corscope
-- sends in scenario 1, BENCH_URLS paths × 5 Origin variants (none, two
-- configured origins, the URL's own origin, null), so both clients ask the
-- origin for the same thing.
local n = tonumber(os.getenv("BENCH_URLS") or "2000")
local host = os.getenv("BENCH_HOST") or "127.0.0.1"
local origins = { false, "https://app.example.com", "https://admin.example.com", "http://" .. host, "null" }
local reqs = {}

init = function(args)
  for i = 0, n - 1 do
    for v = 1, #origins do
      local h = {}
      if origins[v] then h["Origin"] = origins[v] end
      reqs[#reqs + 1] = wrk.format("GET", "/t/" .. i .. ".js", h)
    end
  end
end

local k = 0
request = function()
  k = k % #reqs + 1
  return reqs[k]
end
