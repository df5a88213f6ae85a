package attack

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func get(t *testing.T, u string, h http.Header) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestInjectPicksTheNthMatchOnly(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up") }))
	defer up.Close()
	s := Inject(t, up.URL, Match{Path: "/p", Query: url.Values{"a": {"1"}}, Nth: 2, Times: 2}, Answer{Status: 404, Body: "x"})
	var got []int
	for _, q := range []string{"/p?a=1", "/p?a=2", "/p?a=1", "/q?a=1", "/p?a=1", "/p?a=1"} {
		code, _, _ := get(t, s.URL+q, nil)
		got = append(got, code)
	}
	if want := []int{200, 200, 404, 200, 404, 200}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if s.Fired() != 2 || s.Requests() != 6 {
		t.Fatalf("fired %d of %d", s.Fired(), s.Requests())
	}
}

func TestReflectCopiesCredentials(t *testing.T) {
	s := Reflect(t, "", Reflection{Status: 429})
	code, h, body := get(t, s.URL, http.Header{"Authorization": {"Basic bWU6dG9r"}, "X-Api-Key-Secret": {"sek"}})
	for _, v := range []string{h.Get("RateLimit-Reason"), h.Get("Location"), body} {
		if !strings.Contains(v, "Basic bWU6dG9r") || !strings.Contains(v, "me:tok") || !strings.Contains(v, "sek") {
			t.Fatalf("reflection %q lacks the credentials", v)
		}
	}
	if code != 429 {
		t.Fatalf("status %d", code)
	}
}
