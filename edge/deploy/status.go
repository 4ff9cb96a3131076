package deploy

import (
	"fmt"
	"io"
	"time"
)

// WriteStatus writes, for each purge target, what its outbox holds:
// what is pending and why it waits, what was refused for good, and what
// was sent last.
func WriteStatus(w io.Writer, targets []PurgeTarget) error {
	if len(targets) == 0 {
		return ErrNoPurgeTargets
	}
	for _, t := range targets {
		st, err := t.Outbox.Status()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s:\n", t.Name)
		if len(st.Pending) == 0 {
			fmt.Fprintln(w, "  nothing pending")
		}
		for _, p := range st.Pending {
			state := "pending"
			switch {
			case p.LastError != "":
				state = fmt.Sprintf("failed %d times, next try %s: %s", p.Attempts, p.NextTry.Local().Format(time.TimeOnly), p.LastError)
			case p.NextTry.After(time.Now()):
				state = "held back by the rate limit until " + p.NextTry.Local().Format(time.TimeOnly)
			}
			fmt.Fprintf(w, "  %s  %s  %s\n", p.ID, DescribePurge(p), state)
		}
		for _, p := range st.Failed {
			fmt.Fprintf(w, "  %s  %s  FAILED %s, refused for good: %s (queue it again once fixed)\n", p.ID, DescribePurge(p), p.Failed.Local().Format(time.DateTime), p.LastError)
		}
		for _, p := range st.Sent {
			fmt.Fprintf(w, "  %s  %s  sent %s\n", p.ID, DescribePurge(p), p.Sent.Local().Format(time.DateTime))
		}
	}
	return nil
}
