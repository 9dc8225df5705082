module goloom.io/bench/go

go 1.19
