// peer: the CRoaring side of segment's differential test (see README.md).
//
//   peer read FILE [OFFSET]   read the portable bitmap at OFFSET of FILE (default 0),
//                             print what CRoaring sees in it, and write CRoaring's own
//                             portable serialization of it to FILE.croaring (or
//                             FILE.at-OFFSET.croaring)
//   peer write SPEC OUT       build a bitmap from SPEC (lines "add X", "range LO HI"
//                             for [LO, HI), "stride LO HI STEP", "optimize") and write
//                             its portable bytes to OUT
//
// Reports are lines "key value": bytes consumed, cardinality, min, max, the FNV-1a
// 64-bit hash of the values as little-endian uint32 in increasing order, and the
// values themselves when there are at most 64.
#include <roaring/roaring.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *n) {
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(1); }
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc(size > 0 ? size : 1);
	if (size > 0 && fread(buf, 1, size, f) != (size_t)size) { perror(path); exit(1); }
	fclose(f);
	*n = (size_t)size;
	return buf;
}

static void spit(const char *path, const char *buf, size_t n) {
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0) { perror(path); exit(1); }
}

typedef struct { uint64_t h; } fnv;

static bool hash_value(uint32_t v, void *arg) {
	fnv *s = arg;
	for (int i = 0; i < 4; i++) {
		s->h ^= (v >> (8 * i)) & 0xff;
		s->h *= 1099511628211ULL;
	}
	return true;
}

static bool print_value(uint32_t v, void *arg) {
	int *first = arg;
	printf(*first ? "%" PRIu32 : ",%" PRIu32, v);
	*first = 0;
	return true;
}

static int cmd_read(const char *path, size_t off) {
	size_t n;
	char *buf = slurp(path, &n);
	if (off > n) { fprintf(stderr, "offset past end\n"); return 1; }
	size_t used = roaring_bitmap_portable_deserialize_size(buf + off, n - off);
	roaring_bitmap_t *r = roaring_bitmap_portable_deserialize_safe(buf + off, n - off);
	if (!r || used == 0) { fprintf(stderr, "%s: CRoaring cannot read the bitmap at %zu\n", path, off); return 1; }
	uint64_t card = roaring_bitmap_get_cardinality(r);
	fnv s = {14695981039346656037ULL};
	roaring_iterate(r, hash_value, &s);
	printf("bytes %zu\ncardinality %" PRIu64 "\n", used, card);
	if (card > 0) printf("min %" PRIu32 "\nmax %" PRIu32 "\n", roaring_bitmap_minimum(r), roaring_bitmap_maximum(r));
	printf("fnv1a64 %016" PRIx64 "\n", s.h);
	if (card <= 64) {
		int first = 1;
		printf("values ");
		roaring_iterate(r, print_value, &first);
		printf("\n");
	}
	size_t size = roaring_bitmap_portable_size_in_bytes(r);
	char *out = malloc(size > 0 ? size : 1);
	size_t w = roaring_bitmap_portable_serialize(r, out);
	char name[4096];
	if (off == 0) snprintf(name, sizeof name, "%s.croaring", path);
	else snprintf(name, sizeof name, "%s.at-%zu.croaring", path, off);
	spit(name, out, w);
	roaring_bitmap_free(r);
	free(out);
	free(buf);
	return 0;
}

static int cmd_write(const char *spec, const char *out) {
	FILE *f = fopen(spec, "r");
	if (!f) { perror(spec); return 1; }
	roaring_bitmap_t *r = roaring_bitmap_create();
	char line[256];
	while (fgets(line, sizeof line, f)) {
		unsigned long long a, b, c;
		if (sscanf(line, "add %llu", &a) == 1) roaring_bitmap_add(r, (uint32_t)a);
		else if (sscanf(line, "range %llu %llu", &a, &b) == 2) roaring_bitmap_add_range(r, a, b);
		else if (sscanf(line, "stride %llu %llu %llu", &a, &b, &c) == 3) {
			for (unsigned long long v = a; v < b; v += c) roaring_bitmap_add(r, (uint32_t)v);
		}
		else if (strncmp(line, "optimize", 8) == 0) roaring_bitmap_run_optimize(r);
		else if (line[0] != '#' && line[0] != '\n') { fprintf(stderr, "%s: bad line %s", spec, line); return 1; }
	}
	fclose(f);
	size_t size = roaring_bitmap_portable_size_in_bytes(r);
	char *buf = malloc(size > 0 ? size : 1);
	size_t w = roaring_bitmap_portable_serialize(r, buf);
	spit(out, buf, w);
	roaring_bitmap_free(r);
	free(buf);
	return 0;
}

int main(int argc, char **argv) {
	if (argc >= 3 && strcmp(argv[1], "read") == 0) return cmd_read(argv[2], argc > 3 ? strtoull(argv[3], NULL, 10) : 0);
	if (argc == 4 && strcmp(argv[1], "write") == 0) return cmd_write(argv[2], argv[3]);
	fprintf(stderr, "usage: peer read FILE [OFFSET] | peer write SPEC OUT\n");
	return 2;
}
