package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/BurntSushi/toml"
)

// MaxFileBytes is the largest config file read. A real one is a few KiB;
// the cap keeps a mistaken path (a log, /dev/zero) from exhausting memory.
const MaxFileBytes = 1 << 20

// MaxNesting is the deepest nesting of arrays and inline tables accepted.
// The TOML decoder recurses per level, so a file of a million "[" would
// overflow the stack; no corscope setting nests deeper than 3.
const MaxNesting = 64

// Load reads and validates a config file. A missing file returns Default()
// together with an *Error that wraps fs.ErrNotExist, so a caller looking
// in a default location can ignore it (see Locate and Discover).
//
// Only a regular file (or a symbolic link to one) is read, and at most
// MaxFileBytes of it: a FIFO, a device or a directory is refused without
// reading, so loading never blocks and never reads without end.
func Load(path string) (Config, error) {
	data, err := readRegular(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Default(), err
		}
		return Config{}, err
	}
	return Parse(data, path)
}

// readRegular reads path if it is a regular file of at most MaxFileBytes.
// It checks the type before opening (opening a FIFO blocks until a writer
// appears), opens without blocking in case the path was swapped for a FIFO
// meanwhile, and checks the type of what it opened again.
func readRegular(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: path, Msg: "no such file", err: err}
		}
		return nil, &Error{File: path, Msg: "cannot read: " + pathErr(err), err: err}
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: path, Msg: "no such file", err: err}
		}
		return nil, &Error{File: path, Msg: "cannot read: " + pathErr(err), err: err}
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + pathErr(err), err: err}
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + pathErr(err), err: err}
	}
	if len(data) > MaxFileBytes {
		return nil, tooLarge(path)
	}
	return data, nil
}

func checkRegular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		if info.Size() > MaxFileBytes {
			return tooLarge(path)
		}
		return nil
	}
	return &Error{File: path, Msg: "not a regular file (" + fileKind(info.Mode()) + "); a config file must be a regular file"}
}

func tooLarge(path string) error {
	return &Error{File: path, Msg: fmt.Sprintf("larger than %d KiB, the limit for a config file; is it the right file?", MaxFileBytes>>10)}
}

// fileKind names a non-regular file type for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.Type().String()
}

// Parse validates a config file's contents; name is the file name used in
// messages and in Config.Source. The error, if any, is an *Error or an
// Errors list, one line per problem.
func Parse(data []byte, name string) (Config, error) {
	if len(data) > MaxFileBytes {
		return Config{}, tooLarge(name)
	}
	if err := checkNesting(data, name); err != nil {
		return Config{}, err
	}
	raw := rawFromDefaults(Default())
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return Config{}, decodeError(name, data, err)
	}
	pos := scanPositions(data)
	if errs := unknownKeys(name, md, pos); len(errs) > 0 {
		// Stop here: a misspelt key usually also makes a value look
		// missing, and that second message would only distract.
		return Config{}, sortedErrors(errs)
	}
	v := &validator{file: name, pos: pos}
	cfg := v.build(raw)
	if err := sortedErrors(v.errs); err != nil {
		return Config{}, err
	}
	cfg.Source = name
	cfg.pos = pos
	return cfg, nil
}
