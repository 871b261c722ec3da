-- wrk: POST JSON bodies cycled from a Lua file (BODIES), each thread from
-- its own offset; optional bearer token (TOKEN). Counts answers by status.
local bodies = dofile(os.getenv("BODIES"))
local token = os.getenv("TOKEN")
local threads = {}
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    i = id * 997
    ok, bad = 0, 0
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    if token and token ~= "" then
        wrk.headers["Authorization"] = "Bearer " .. token
    end
end

function request()
    i = i + 1
    return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end

function response(status, headers, body)
    if status == 200 or status == 201 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
    local o, b = 0, 0
    for _, t in ipairs(threads) do
        o = o + t:get("ok")
        b = b + t:get("bad")
    end
    io.write(string.format("STATUS ok=%d bad=%d\n", o, b))
end
