-- os_time: clock and date functions agree with themselves
local t = os.time()
assert(t > 0)
local d = os.date("*t", t)
assert(os.time(d) == t)
local c0 = os.clock()
local x = 0
for i = 1, 200000 do x = x + i end
assert(os.clock() >= c0 and x == 20000100000)
assert(os.getenv("PATH") ~= nil)
