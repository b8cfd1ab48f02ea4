/* libFuzzer target for everything the node side parses: netlab's control
 * messages (supervisor), node requests and client events (agent), and the
 * ready report a node's process sends its supervisor. The first byte picks
 * the decoder; the rest is the message. Built and run by
 * make test (make fuzz-node for longer), with AddressSanitizer and UBSan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		struct control c;
		if (decode_control(data + 1, size - 1, &c, err, sizeof(err)) == 0)
			free_control(&c);
		break;
	}
	case 1: {
		struct node_req q;
		if (decode_request(data + 1, size - 1, &q, err, sizeof(err)) == 0)
			free_request(&q);
		break;
	}
	case 2: {
		int64_t sig;
		decode_signal(data + 1, size - 1, &sig, err, sizeof(err));
		break;
	}
	case 3: {
		char msg[512];
		decode_ready(data + 1, size - 1, msg, sizeof(msg), err, sizeof(err));
		break;
	}
	}
	return 0;
}
