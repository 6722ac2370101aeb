package quackpipe

import "github.com/libquackpipe/libquackpipe/bindings/go/quackpipe/internal/capi"

// Version is the version of the libquackpipe actually loaded, e.g. "0.2.0".
func Version() string { return capi.Qp_version_str() }

// VersionNumber is 0xMMmmpp of the libquackpipe actually loaded.
func VersionNumber() int { return capi.Qp_version_number() }
