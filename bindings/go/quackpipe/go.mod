module github.com/libquackpipe/libquackpipe/bindings/go/quackpipe

go 1.24
