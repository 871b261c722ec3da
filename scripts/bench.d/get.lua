-- wrk: GET with an optional If-None-Match (INM); counts answers by status.
local inm = os.getenv("INM")
local threads = {}
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    ok, bad = 0, 0
    if inm and inm ~= "" then wrk.headers["If-None-Match"] = inm end
end

function response(status, headers, body)
    if status == 200 or status == 304 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
    local o, b = 0, 0
    for _, t in ipairs(threads) do
        o = o + t:get("ok")
        b = b + t:get("bad")
    end
    io.write(string.format("STATUS ok=%d bad=%d\n", o, b))
end
