/* The node side built alone, without Go: for AddressSanitizer and
 * valgrind, which the tests run it under in place of netlab's own binary
 * (nsproc.NodeBinaryEnv). It takes the same roles. */
#include <stdio.h>

void netlab_node_main(int argc, char **argv);

int main(int argc, char **argv)
{
	netlab_node_main(argc, argv);
	fprintf(stderr, "netlab-node: run by netlab as a lab supervisor; not by hand\n");
	return 2;
}
