// Package browser starts a headless Chromium (Debian's chromium, no
// download) and drives pages in it, for the end-to-end tests and the
// latency measurements of the dev server.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ErrNotFound is returned by Start when no Chromium is installed.
var ErrNotFound = errors.New("chromium not found (install Debian's chromium package)")

// Path returns the Chromium executable: $CHROMIUM, else the first of
// chromium, chromium-browser, google-chrome on PATH.
func Path() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

// Browser is a running headless Chromium with one tab.
type Browser struct {
	ctx    context.Context // the tab's chromedp context
	cancel func()
}

// Start launches Chromium with a fresh profile in profileDir. Close stops
// it.
func Start(parent context.Context, profileDir string) (*Browser, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profileDir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &Browser{ctx: ctx, cancel: func() { cancelTab(); cancelAlloc() }}
	// The first Run starts the browser; it must not carry a timeout.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		b.cancel()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return b, nil
}

// Close stops the browser.
func (b *Browser) Close() { b.cancel() }

// Open loads url in the tab and waits for its load event.
func (b *Browser) Open(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

// OnNewDocument runs the script in every document the tab loads from now
// on, before the page's own scripts.
func (b *Browser) OnNewDocument(script string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
	return err
}

// Eval evaluates a JavaScript expression in the page.
func Eval[T any](b *Browser, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// Wait polls a JavaScript predicate until it is truthy, across page
// loads, every 2ms (finer than animation frames, for latency figures);
// it fails after timeout.
func (b *Browser) Wait(expr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout+time.Second)
	defer cancel()
	deadline := time.Now().Add(timeout)
	for {
		// A reload destroys the polling context; poll again in the new
		// document until the deadline.
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, expr)
		}
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(left), chromedp.WithPollingInterval(2*time.Millisecond)))
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: %w", expr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Screenshot returns a PNG of the tab's viewport.
func (b *Browser) Screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}
