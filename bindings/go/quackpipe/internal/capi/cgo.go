package capi

// The library comes from pkg-config, as an installed libquackpipe describes
// itself (libquackpipe-dev, or PKG_CONFIG_PATH=<prefix>/lib/pkgconfig after
// `cmake --install`). capi.go and capi_wrap.c are SWIG's output, committed
// (bindings/go/generate.sh regenerates them): building this module needs no
// SWIG and nothing outside the module.

// #cgo pkg-config: libquackpipe
import "C"
