package engine

// This file holds the memo of the site program's key. Without a build key
// (a site program run directly, not by verge), the key is a hash of the
// running executable: 25 MB read and hashed, some 30 ms of a rebuild
// that otherwise only stats the sources. The memo keeps that hash beside
// what stat showed of the file, under os.UserCacheDir()/verge/programs,
// and vouches for it only while stat shows the same file: same size,
// modification and change time, inode and device (see srcstamp.go for
// why the change time and inode, which no copy or touch can keep).

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vergehq/verge/internal/fsatomic"
)

// memoFileHash is fileHash(p), from the memo when stat proves p unchanged
// since it was hashed.
func memoFileHash(p string) (string, error) {
	before, err := fileStatOf(p, true)
	memo := programMemoPath(p)
	if err != nil || before.ctime == 0 || before.ino == 0 || memo == "" {
		// A system whose stat lacks the change time or the file's
		// identity cannot tell a copy with its times kept from the
		// original: no memo there.
		return fileHash(p)
	}
	if data, err := os.ReadFile(memo); err == nil {
		var was fileStat
		var key string
		if _, err := fmt.Sscanf(string(data), "%d %d %d %d %d %d %s", &was.mode, &was.size, &was.mtime, &was.ctime, &was.ino, &was.dev, &key); err == nil && was == before && key != "" {
			return key, nil
		}
	}
	key, err := fileHash(p)
	if err != nil {
		return "", err
	}
	// Kept only when the file was the same before and after hashing and
	// old enough that a change within the same clock tick is ruled out.
	after, err := fileStatOf(p, true)
	now := time.Now().UnixNano()
	if err == nil && after == before && now-before.mtime >= int64(racyWindow) && now-before.ctime >= int64(racyWindow) {
		if os.MkdirAll(filepath.Dir(memo), 0o755) == nil {
			_ = fsatomic.WriteFile(memo, fmt.Appendf(nil, "%d %d %d %d %d %d %s\n", before.mode, before.size, before.mtime, before.ctime, before.ino, before.dev, key))
		}
	}
	return key, nil
}

// programMemoPath is where the memo of the executable p is kept; "" when
// there is no user cache directory.
func programMemoPath(p string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(base, "verge", "programs", hex.EncodeToString(sum[:12]))
}
