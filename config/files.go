package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// EnvConfig names the environment variable that points at a config file.
const EnvConfig = "CORSCOPE_CONFIG"

// Locate picks the config file: the --config flag, else $CORSCOPE_CONFIG,
// else $XDG_CONFIG_HOME/corscope/config.toml, else
// $HOME/.config/corscope/config.toml. mustExist is true when the user named
// the file (flag or variable), so a missing file is an error; a missing
// default file just means defaults. env is os.Getenv in production.
//
// The error is returned only when no location can be derived at all (no
// flag, no variables, no $HOME).
func Locate(flagPath string, env func(string) string) (path string, mustExist bool, err error) {
	if flagPath != "" {
		return flagPath, true, nil
	}
	if p := env(EnvConfig); p != "" {
		return p, true, nil
	}
	// The XDG spec says to ignore relative values.
	if xdg := env("XDG_CONFIG_HOME"); xdg != "" && filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "corscope", "config.toml"), false, nil
	}
	if home := env("HOME"); home != "" {
		return filepath.Join(home, ".config", "corscope", "config.toml"), false, nil
	}
	return "", false, errors.New("no config location: $HOME is not set (use --config FILE or $" + EnvConfig + ")")
}

// Discover locates and loads the config: a file the user named must exist;
// an absent default file, or no default location at all, gives Default().
func Discover(flagPath string, env func(string) string) (Config, error) {
	path, mustExist, err := Locate(flagPath, env)
	if err != nil {
		return Default(), nil
	}
	cfg, err := Load(path)
	if err != nil && !mustExist && errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	return cfg, err
}

// WriteStarter writes StarterFile to path, creating parent directories
// (0700). The file is created 0600. It never replaces an existing file
// unless force is set.
func WriteStarter(path string, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return &Error{File: path, Msg: "cannot create directory: " + pathErr(err), err: err}
	}
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return &Error{File: path, Msg: "already exists; use --force to overwrite it", err: err}
		}
		if err != nil {
			return &Error{File: path, Msg: "cannot create: " + pathErr(err), err: err}
		}
		_, werr := f.Write(StarterFile())
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(path)
			return &Error{File: path, Msg: "cannot write: " + pathErr(werr), err: werr}
		}
		return nil
	}
	// Replace only a regular file: renaming over a FIFO or a device node
	// would swap it for a regular file. A symbolic link is followed, so the
	// file it points to is replaced and the link stays.
	target := path
	if info, err := os.Lstat(path); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return &Error{File: path, Msg: "is a symbolic link that cannot be followed: " + pathErr(err), err: err}
		}
	}
	if info, err := os.Lstat(target); err == nil && !info.Mode().IsRegular() {
		return &Error{File: path, Msg: "is not a regular file (" + fileKind(info.Mode()) + "); refusing to replace it"}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &Error{File: path, Msg: "cannot write: " + pathErr(err), err: err}
	}
	// Write beside the target and rename, so a failure never leaves a
	// half-written config behind.
	tmp, err := os.CreateTemp(filepath.Dir(target), ".corscope-config-*.toml")
	if err != nil {
		return &Error{File: path, Msg: "cannot create: " + pathErr(err), err: err}
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	_, werr := tmp.Write(StarterFile())
	if werr == nil {
		werr = tmp.Chmod(0o600)
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), target)
	}
	if werr != nil {
		return &Error{File: path, Msg: "cannot write: " + pathErr(werr), err: werr}
	}
	return nil
}

func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// PermissionWarning returns a one-line warning when the config file has
// [[purge]] entries and other users can read it, else "". The file holds
// only variable names, not tokens, but it still maps out which zones and
// services can be purged, so it is worth keeping private.
func (c Config) PermissionWarning() string {
	if c.Source == "" || len(c.Purge) == 0 || runtime.GOOS == "windows" {
		return ""
	}
	info, err := os.Stat(c.Source)
	if err != nil {
		return ""
	}
	if perm := info.Mode().Perm(); perm&0o044 != 0 {
		return fmt.Sprintf("warning: %s is readable by other users (mode %04o) and configures [[purge]]; run: chmod 600 %s",
			c.Source, perm, c.Source)
	}
	return ""
}
