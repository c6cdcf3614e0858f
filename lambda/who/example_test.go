package who_test

import (
	"context"
	"fmt"

	"github.com/bucketbell/bucketbell/lambda/who"
)

// A Namer without IAM listers, as an offline replay has, names what needs no
// lookup and shows the rest as it came.
func ExampleNamer_Name() {
	var n who.Namer
	for _, p := range []string{
		"AWS:AIDAEXAMPLEUSER00001",
		"AWS:AROAEXAMPLEROLE00001:alice@example.com",
		"s3.amazonaws.com",
		"minioadmin",
		"",
	} {
		name, err := n.Name(context.Background(), p)
		if err != nil {
			fmt.Println("error:", err)
		}
		fmt.Println(name)
	}
	// Output:
	// AWS:AIDAEXAMPLEUSER00001
	// session alice@example.com (role AROAEXAMPLEROLE00001)
	// S3 lifecycle
	// minioadmin
	// unknown principal
}
