//go:build !linux

package fsatomic

import "errors"

// exchange is unavailable here; SwapDir falls back to two renames.
func exchange(a, b string) error { return errors.New("atomic exchange not supported") }
