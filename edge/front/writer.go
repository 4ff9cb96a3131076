package front

import (
	"bufio"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Writer writes one response into the connection's buffer: StatusLine,
// any number of Header calls, then Body (or EndHeaders alone). It adds
// Date, and Connection: close when the connection ends after it.
type Writer struct {
	bw     *bufio.Writer
	preset []byte
	date   *dateCache
	noDate bool
	close  bool
	status int
	bytes  int64 // body bytes written
	wrote  bool
}

// StatusLine starts the response.
func (w *Writer) StatusLine(code int) {
	w.wrote, w.status = true, code
	w.bw.WriteString("HTTP/1.1 ")
	w.bw.WriteString(strconv.Itoa(code))
	w.bw.WriteByte(' ')
	w.bw.WriteString(http.StatusText(code))
	w.bw.WriteString("\r\n")
	w.bw.Write(w.preset)
}

// Preset gives fields (lines ending in CRLF) that StatusLine writes
// right after itself: a Responder that hands the request on to another
// adds its own fields so. Nothing is written if the other declines.
func (w *Writer) Preset(fields []byte) { w.preset = fields }

// Header writes one field; name must be canonical and value valid.
func (w *Writer) Header(name, value string) {
	w.bw.WriteString(name)
	w.bw.WriteString(": ")
	w.bw.WriteString(value)
	w.bw.WriteString("\r\n")
}

// Raw writes pre-formatted fields, each ending in CRLF.
func (w *Writer) Raw(fields []byte) { w.bw.Write(fields) }

// ContentLength writes the Content-Length field.
func (w *Writer) ContentLength(n int) {
	w.bw.WriteString("Content-Length: ")
	w.bw.WriteString(strconv.Itoa(n))
	w.bw.WriteString("\r\n")
}

// SkipDate leaves Date out: the fields written carry one.
func (w *Writer) SkipDate() { w.noDate = true }

// EndHeaders ends the head.
func (w *Writer) EndHeaders() {
	if !w.noDate {
		w.bw.WriteString("Date: ")
		w.bw.Write(w.date.now())
		w.bw.WriteString("\r\n")
	}
	if w.close {
		w.bw.WriteString("Connection: close\r\n")
	}
	w.bw.WriteString("\r\n")
}

// Body ends the head and writes body.
func (w *Writer) Body(body []byte) {
	w.EndHeaders()
	w.bw.Write(body)
	w.bytes += int64(len(body))
}

// dateCache is the Date field's value, formatted once a second.
type dateCache struct {
	v atomic.Pointer[dateValue]
}

type dateValue struct {
	sec  int64
	text []byte
}

func (d *dateCache) now() []byte {
	now := time.Now()
	if v := d.v.Load(); v != nil && v.sec == now.Unix() {
		return v.text
	}
	v := &dateValue{sec: now.Unix(), text: now.UTC().AppendFormat(nil, http.TimeFormat)}
	d.v.Store(v)
	return v.text
}
