//go:build !unix

package rawfile

import "os"

// ReadFile returns the contents of the file at path, like os.ReadFile.
func ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

// WriteFile writes data to the file at path, creating or truncating it,
// like os.WriteFile.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return os.WriteFile(path, data, perm)
}
