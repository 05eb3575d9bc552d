-- wrk script of benches/serve-throughput.sh: join-then-exit pairs against
-- the room API of `voipsim serve` (docs/api.md: POST /voip/join, POST
-- /voip/exit), each join signed in advance by the script that runs this.
--
--   wrk -t T -c C -d D -s benches/serve-join-exit.lua URL -- USERS_FILE
--
-- USERS_FILE has one user a line: `openid<TAB>join body (JSON)`, and a
-- first line `appId<TAB>APPID`. No key is in it: only openids and signed
-- join bodies.
--
-- Why pipelined pairs: wrk's request() is called per thread, not per
-- connection, so a join sent on one connection and its exit on another
-- could race (exit first, then the join leaves the user in a room and its
-- next join is refused as already in a room). Each request() returns the
-- join and the exit of one user as two pipelined requests on one
-- connection; hyper answers a connection's requests in order, so the exit
-- always follows its join. wrk counts both requests; its latency is the
-- pair's (send of the join to the exit's answer).
--
-- Each thread takes its own slice of the users and cycles through it, so
-- no two threads share a user, and a thread reuses a user only after every
-- other user of its slice: with many more users than connections, a user's
-- previous pair has long been answered. Whether any join was refused
-- anyway is not guessed here: the runner reads serve's
-- voipsim_joins_total{result} from /metrics after the run and prints every
-- result that is not "ok".

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local function read_users(path)
   local file = assert(io.open(path, "r"), "cannot read users file " .. tostring(path))
   local app_id = nil
   local users = {}
   for line in file:lines() do
      local a, b = line:match("^([^\t]+)\t(.+)$")
      if a == "appId" then
         app_id = b
      elseif a then
         table.insert(users, { openid = a, join = b })
      end
   end
   file:close()
   assert(app_id, "users file has no appId line")
   assert(#users > 0, "users file has no users")
   return app_id, users
end

local pairs_list = {}
local cursor = 1

function init(args)
   local app_id, users = read_users(args[1])
   -- wrk calls setup() for every thread before init(); the main thread's
   -- count is not visible here, so the runner passes the thread count.
   local nthreads = tonumber(args[2]) or 1
   local me = id or 0
   local headers = { ["Content-Type"] = "application/json" }
   for i = 1, #users do
      if (i - 1) % nthreads == me then
         local u = users[i]
         local exit_body = string.format('{"appId":"%s","openid":"%s"}', app_id, u.openid)
         table.insert(pairs_list,
            wrk.format("POST", "/voip/join", headers, u.join) ..
            wrk.format("POST", "/voip/exit", headers, exit_body))
      end
   end
   assert(#pairs_list > 0, "thread " .. me .. " has no users: pass more users than threads")
end

function request()
   local r = pairs_list[cursor]
   cursor = cursor % #pairs_list + 1
   return r
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d " ..
      "errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
