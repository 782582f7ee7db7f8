-- sort: table.sort with and without a comparator over pseudo-random numbers
local t, seed = {}, 12345
for i = 1, 2000 do
  seed = (seed * 1103515245 + 12345) % 2147483648
  t[i] = seed % 100000
end
table.sort(t)
for i = 2, #t do assert(t[i - 1] <= t[i]) end
table.sort(t, function(a, b) return a > b end)
for i = 2, #t do assert(t[i - 1] >= t[i]) end
