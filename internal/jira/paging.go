package jira

// NextStartAt returns where the page after p starts and whether p was the
// last page. The server may clamp maxResults, so the next page starts at
// startAt+len(Values) (startAt being what the caller asked for); nextPage's
// URL is never followed. A page is the last when it is empty, says isLast,
// or reaches total.
func (p Page[T]) NextStartAt(startAt int) (next int, last bool) {
	next = startAt + len(p.Values)
	switch {
	case len(p.Values) == 0, p.IsLast:
		return next, true
	case p.Total != nil && next >= *p.Total:
		return next, true
	}
	return next, false
}
