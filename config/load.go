package config

import (
	"errors"
	"io/fs"
	"os"

	"github.com/BurntSushi/toml"
)

// Load reads and validates a config file. A missing file returns Default()
// together with an *Error that wraps fs.ErrNotExist, so a caller looking
// in a default location can ignore it (see Locate and Discover).
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Default(), &Error{File: path, Msg: "no such file", err: err}
		}
		return Config{}, &Error{File: path, Msg: "cannot read: " + pathErr(err), err: err}
	}
	return Parse(data, path)
}

// Parse validates a config file's contents; name is the file name used in
// messages and in Config.Source. The error, if any, is an *Error or an
// Errors list, one line per problem.
func Parse(data []byte, name string) (Config, error) {
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
