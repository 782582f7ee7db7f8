-- math_coroutine: integer and float arithmetic, a generator coroutine
assert(7 // 2 == 3 and 7 % 3 == 1 and 2 ^ 10 == 1024.0)
assert(math.maxinteger + 1 == math.mininteger)
assert(math.abs(math.sin(math.pi / 2) - 1) < 1e-12)
local gen = coroutine.wrap(function()
  local a, b = 0, 1
  while true do coroutine.yield(a); a, b = b, a + b end
end)
local fib = {}
for i = 1, 10 do fib[i] = gen() end
assert(fib[10] == 34)
