package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// applyDefaults fills every key the job file leaves out (or sets to null)
// with its Default from Keys, the table `jira-extractor schema` prints, so
// the documented and the applied defaults are one. Keys under an absent
// optional object (output.s3, upload) are left alone. output.compression's
// default depends on output.format: zstd for parquet, none for csv.
func applyDefaults(job *Job, present map[string]bool) {
	root := reflect.ValueOf(job).Elem()
	for _, k := range Keys {
		if k.Default == nil || present[k.Key] {
			continue
		}
		f, ok := field(root, k.Key)
		if !ok {
			continue
		}
		b, err := json.Marshal(k.Default)
		if err == nil {
			err = json.Unmarshal(b, f.Addr().Interface())
		}
		if err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", k.Key, err)) // a bad Keys table
		}
	}
	o := &job.Output
	if !present["output.compression"] {
		switch o.Format {
		case "parquet":
			o.Compression = DefaultParquetCompression
		case "csv":
			o.Compression = DefaultCSVCompression
		}
	}
}

// field returns the struct field of a dotted job-file key. It is false when
// a pointer on the way is nil.
func field(v reflect.Value, key string) (reflect.Value, bool) {
	for _, name := range strings.Split(key, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		found := false
		for i := 0; i < v.NumField(); i++ {
			tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			if tag == name {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			panic("config: Keys names " + key + ", which Job does not have")
		}
	}
	return v, true
}
