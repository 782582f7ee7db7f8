-- strings: formatting, patterns and gsub
local s = string.format("%d-%s-%.2f", 42, "lua", 3.14159)
assert(s == "42-lua-3.14", s)
assert(("hello world"):upper() == "HELLO WORLD")
local words = {}
for w in ("the quick brown fox"):gmatch("%a+") do words[#words + 1] = w end
assert(#words == 4 and words[3] == "brown")
local r, n = ("a,b,c"):gsub(",", ";")
assert(r == "a;b;c" and n == 2)
assert(("%5s|"):format("x") == "    x|")
