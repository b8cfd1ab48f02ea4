package events

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"
)

// followPoll is how often Follow looks for lines a verb appended.
const followPoll = 100 * time.Millisecond

// Follow sends every event appended to the log at path from now on, until
// ctx ends or the log's lab goes (its file is removed). A line that is not
// an event (the log is the lab owner's to write) is skipped.
func Follow(ctx context.Context, path string, out chan<- Event) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 2*maxLine)
	var part []byte
	for {
		line, err := r.ReadBytes('\n')
		part = append(part, line...)
		if errors.Is(err, io.EOF) {
			if len(part) > maxLine {
				part = nil // no event is that long
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(followPoll):
			}
			if _, serr := os.Stat(path); serr != nil {
				return nil
			}
			continue
		}
		if err != nil {
			return err
		}
		var ev Event
		if json.Unmarshal(part, &ev) == nil && ev.Kind != "" {
			select {
			case out <- ev:
			case <-ctx.Done():
				return nil
			}
		}
		part = nil
	}
}
