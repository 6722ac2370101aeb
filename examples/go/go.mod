module github.com/libquackpipe/libquackpipe/examples/go

go 1.24

require github.com/libquackpipe/libquackpipe/bindings/go/quackpipe v0.0.0

replace github.com/libquackpipe/libquackpipe/bindings/go/quackpipe => ../../bindings/go/quackpipe
