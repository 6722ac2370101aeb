// Command validate decodes and validates a file of scan events, one JSON
// document per line:
//
//	validate events.jsonl     (or - for standard input)
//
// It prints each refused line with the failing field and the library's
// reason, then a summary, and exits 1 if any line was refused. Building it
// needs CGO_CFLAGS/CGO_LDFLAGS pointing at libquackpipe (docs/bindings.md).
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe"
)

// validate writes one line per refused event and a summary.
func validate(in io.Reader, out io.Writer) (valid, refused int, err error) {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for number := 1; scanner.Scan(); number++ {
		line := scanner.Bytes()
		if len(line) == 0 {
			continue
		}
		event, err := quackpipe.Decode(line)
		var qerr *quackpipe.Error
		switch {
		case err == nil:
			valid++
			event.Close() // a real consumer would use it first
		case errors.Is(err, quackpipe.ErrValidation) && errors.As(err, &qerr):
			refused++ // qerr.Path() names the failing field, when there is one
			fmt.Fprintf(out, "line %d: %s [%s]\n", number, qerr.Detail, qerr.Code)
		default:
			return valid, refused, err
		}
	}
	if err := scanner.Err(); err != nil {
		return valid, refused, err
	}
	fmt.Fprintf(out, "%d valid, %d refused\n", valid, refused)
	return valid, refused, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: validate FILE.jsonl | -")
		os.Exit(2)
	}
	in := os.Stdin
	if os.Args[1] != "-" {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		in = f
	}
	_, refused, err := validate(in, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if refused > 0 {
		os.Exit(1)
	}
}
