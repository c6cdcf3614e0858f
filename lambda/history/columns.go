package history

import (
	"fmt"
	"reflect"
	"strings"
)

// Column is a column of the Glue table over the records: a top-level JSON
// field of Line and its Hive type, as Athena declares it.
type Column struct {
	// Name is the JSON field name. Glue stores column names in lower case;
	// the JSON SerDe matches them to fields without regard to case.
	Name string
	// Type is the Hive type: string, int, bigint, boolean, double,
	// array<...> or struct<...>.
	Type string
}

// Columns lists the columns of Line in the order it writes them, derived
// from its struct tags so that the table (cdk/) and the writer cannot
// drift apart. The date partitions (PartitionColumns) are not among them.
func Columns() []Column {
	return columnsOf(reflect.TypeFor[Line]())
}

// PartitionColumns are the table's partition keys, from the object keys
// (year=YYYY/month=MM/day=DD), all strings of digits: four for the year,
// two for the month and the day.
func PartitionColumns() []Column {
	return []Column{{"year", "string"}, {"month", "string"}, {"day", "string"}}
}

func columnsOf(t reflect.Type) []Column {
	var cols []Column
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			cols = append(cols, columnsOf(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		cols = append(cols, Column{Name: name, Type: hiveType(f.Type)})
	}
	return cols
}

// hiveType is the Hive type of a Go type as encoding/json writes it.
func hiveType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return hiveType(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return "int"
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		// Go's int is 64 bits wide: bigint holds every value it can write.
		return "bigint"
	case reflect.Float32, reflect.Float64:
		return "double"
	case reflect.Slice, reflect.Array:
		return "array<" + hiveType(t.Elem()) + ">"
	case reflect.Struct:
		var fields []string
		for _, c := range columnsOf(t) {
			fields = append(fields, c.Name+":"+c.Type)
		}
		return "struct<" + strings.Join(fields, ",") + ">"
	}
	panic(fmt.Sprintf("history: no Hive type for %s", t)) // a programming error, caught by the tests
}
