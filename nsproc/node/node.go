package node

/*
#cgo CFLAGS: -std=gnu11 -Wall -Wextra -Werror -O2
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
