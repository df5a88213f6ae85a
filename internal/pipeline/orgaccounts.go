package pipeline

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/govextract/jira-extractor/internal/jira"
	"github.com/govextract/jira-extractor/internal/model"
)

// orgChunk is the size of the byte chunks accounts are packed into. Chunks
// are never copied or grown, so adding an account never doubles anything.
const orgChunk = 256 << 10

// orgAccounts holds the Admin API accounts while users/search runs, packed
// into byte chunks instead of one struct and five strings per account (about
// 100 bytes an account instead of about 250). Account types, statuses and
// product keys come from small vocabularies and are stored once each. The
// index maps a 128-bit hash of the accountId (two random seeds, as idSet) to
// where the account is packed; lookups check the packed accountId as well,
// so a hash collision can never enrich the wrong user.
//
// Each account also carries a "claimed" mark: users/search claims the
// accounts it lists, and the unclaimed ones are the accounts Jira did not
// list. Not safe for concurrent use.
type orgAccounts struct {
	s1, s2 maphash.Seed
	index  map[[2]uint64]uint64 // id hash → claimed<<63 | chunk<<32 | offset
	chunks [][]byte
	words  map[string]uint64 // interned short values → position in vocab
	vocab  []string
	buf    []byte // scratch for one record
	// productsUnknown says the accounts came from a listing that does not
	// give product access (Admin API v2): it decodes as nil, not empty.
	productsUnknown bool
}

const claimedBit = 1 << 63

func newOrgAccounts() *orgAccounts {
	return &orgAccounts{s1: maphash.MakeSeed(), s2: maphash.MakeSeed(), index: map[[2]uint64]uint64{}, words: map[string]uint64{}}
}

func (o *orgAccounts) key(id string) [2]uint64 {
	return [2]uint64{maphash.String(o.s1, id), maphash.String(o.s2, id)}
}

// Len is the number of accounts held.
func (o *orgAccounts) Len() int { return len(o.index) }

// word returns the vocabulary position of s, adding it if new.
func (o *orgAccounts) word(s string) uint64 {
	if i, ok := o.words[s]; ok {
		return i
	}
	i := uint64(len(o.vocab))
	o.vocab = append(o.vocab, s)
	o.words[s] = i
	return i
}

// add packs one Admin API account. A later account with the same id
// replaces an earlier one (as a map would).
//
// Record layout: id, name, email (each uvarint length + bytes); account
// type and status (uvarint vocabulary positions); last active (uvarint 0
// when unknown, else 1 + zigzag varint Unix milliseconds); product keys
// (uvarint count, then vocabulary positions).
func (o *orgAccounts) add(u jira.OrgUser) {
	b := o.buf[:0]
	b = appendString(b, u.AccountID)
	b = appendString(b, u.Name)
	b = appendString(b, u.Email)
	b = binary.AppendUvarint(b, o.word(u.AccountType))
	b = binary.AppendUvarint(b, o.word(u.AccountStatus))
	if t, ok := model.Time(u.LastActive); ok {
		b = binary.AppendUvarint(b, 1)
		b = binary.AppendVarint(b, t.UnixMilli())
	} else {
		b = binary.AppendUvarint(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(u.ProductAccess)))
	for _, p := range u.ProductAccess {
		b = binary.AppendUvarint(b, o.word(p.Key))
	}
	o.buf = b

	n := len(o.chunks)
	if n == 0 || cap(o.chunks[n-1])-len(o.chunks[n-1]) < len(b) {
		o.chunks = append(o.chunks, make([]byte, 0, max(orgChunk, len(b))))
		n++
	}
	c := o.chunks[n-1]
	loc := uint64(n-1)<<32 | uint64(len(c))
	o.chunks[n-1] = append(c, b...)
	o.index[o.key(u.AccountID)] = loc
}

// claim looks id up and marks it claimed. found says whether the org has
// the account; first says whether this is its first claim.
func (o *orgAccounts) claim(id string) (a adminUser, found, first bool) {
	k := o.key(id)
	loc, ok := o.index[k]
	if !ok {
		return adminUser{}, false, false
	}
	gotID, a := o.decode(loc &^ claimedBit)
	if gotID != id {
		return adminUser{}, false, false
	}
	if loc&claimedBit != 0 {
		return a, true, false
	}
	o.index[k] = loc | claimedBit
	return a, true, true
}

// unclaimed calls fn for every account not claimed, in the order the
// accounts were added (a replaced account once, at its last position).
func (o *orgAccounts) unclaimed(fn func(id string, a adminUser) error) error {
	for ci, c := range o.chunks {
		for off := 0; off < len(c); {
			loc := uint64(ci)<<32 | uint64(off)
			id, a, n := o.decodeAt(c[off:])
			off += n
			if cur := o.index[o.key(id)]; cur != loc {
				continue // claimed, or replaced by a later record
			}
			if err := fn(id, a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *orgAccounts) decode(loc uint64) (string, adminUser) {
	c := o.chunks[loc>>32]
	id, a, _ := o.decodeAt(c[uint32(loc):])
	return id, a
}

// decodeAt decodes the record at the start of b and returns its length.
// The records are written by add, so a malformed one is a bug.
func (o *orgAccounts) decodeAt(b []byte) (id string, a adminUser, n int) {
	d := decoder{b: b}
	id = d.string()
	a.name = d.string()
	a.email = d.string()
	a.accountType = o.vocab[d.uvarint()]
	a.status = o.vocab[d.uvarint()]
	if d.uvarint() == 1 {
		a.lastActive = time.UnixMilli(d.varint()).UTC()
	}
	k := d.uvarint()
	if o.productsUnknown {
		return id, a, d.off
	}
	a.productAccess = make([]string, 0, k)
	for range k {
		a.productAccess = append(a.productAccess, o.vocab[d.uvarint()])
	}
	return id, a, d.off
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads what add packed.
type decoder struct {
	b   []byte
	off int
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		panic(fmt.Sprintf("pipeline: corrupt org account record at byte %d", d.off))
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		panic(fmt.Sprintf("pipeline: corrupt org account record at byte %d", d.off))
	}
	d.off += n
	return v
}

func (d *decoder) string() string {
	n := int(d.uvarint())
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s
}
