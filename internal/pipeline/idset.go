package pipeline

import "hash/maphash"

// idSet is a set of ids (accountIds) that stays small as a site grows: it
// keeps a 128-bit hash of each id instead of the id itself, about 16 bytes an
// entry instead of the id's ~50. Two random seeds make a false "seen"
// (two ids with the same 128-bit hash) vanishingly unlikely, even for ids
// chosen by someone who wants one. Not safe for concurrent use.
type idSet struct {
	s1, s2 maphash.Seed
	m      map[[2]uint64]struct{}
}

func newIDSet() *idSet {
	return &idSet{s1: maphash.MakeSeed(), s2: maphash.MakeSeed(), m: map[[2]uint64]struct{}{}}
}

func (s *idSet) key(id string) [2]uint64 {
	return [2]uint64{maphash.String(s.s1, id), maphash.String(s.s2, id)}
}

// Add adds id and reports whether it was new.
func (s *idSet) Add(id string) bool {
	k := s.key(id)
	if _, ok := s.m[k]; ok {
		return false
	}
	s.m[k] = struct{}{}
	return true
}

// Has reports whether id is in the set.
func (s *idSet) Has(id string) bool {
	_, ok := s.m[s.key(id)]
	return ok
}

// Len is the number of ids in the set.
func (s *idSet) Len() int { return len(s.m) }
