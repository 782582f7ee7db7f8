-- file_io: write a file, read it back line by line, remove it
local name = os.tmpname()
local f = assert(io.open(name, "w"))
for i = 1, 100 do f:write("line ", i, "\n") end
f:close()
local count, last = 0, nil
for line in io.lines(name) do count = count + 1; last = line end
assert(count == 100 and last == "line 100")
assert(os.remove(name))
assert(io.open(name, "r") == nil)
