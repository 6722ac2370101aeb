module quackpipe/tests/doubles/pushdouble

go 1.21
