//go:build !netlab_protogen

// The tag netlab_protogen leaves the C side out of the build, so that
// protocol.h can be made anew from protocol.go when the C side needs tags
// it does not have yet (see nsproc/protocol_test.go).

package node

/*
#cgo CFLAGS: -std=gnu11 -Wall -Wextra -Werror -O2
// Every symbol bound at the supervisor's one exec, not at each clone's
// first call: a lazy binding writes the clone's own copy of the GOT.
#cgo LDFLAGS: -Wl,-z,now
void netlab_node_main(int argc, char **argv);

// glibc passes a constructor main's own arguments: this runs before the Go
// runtime starts, so a supervisor (and every node it clones) never has it.
__attribute__((constructor)) static void netlab_node_init(int argc, char **argv, char **envp)
{
	(void)envp;
	netlab_node_main(argc, argv);
}
*/
import "C"
