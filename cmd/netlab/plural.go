package main

import "fmt"

// count is n and noun, in the plural unless n is 1: "1 node", "3 links".
func count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
