//go:build !netlab_protogen

/* The entry of the node side: a program that links it (every one that
 * imports nsproc) runs netlab_node_main before anything else, from an ELF
 * constructor (node.go), so that a supervisor never starts the Go runtime:
 * it and every node it clones stay one thread each. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node.h"
#include "protocol.h"

void set_title_area(int argc, char **argv);

void netlab_node_main(int argc, char **argv)
{
	if (argc < 2 || argv == NULL || argv[1] == NULL)
		return;
	if (strcmp(argv[1], ARG_SUPERVISOR) == 0) {
		set_title_area(argc, argv);
		exit(supervisor_main(argv));
	}
	if (strcmp(argv[1], ARG_AGENT) == 0)
		exit(agent_test_main());
}
