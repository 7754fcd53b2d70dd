// QEMU TCG plugin (plugin API version 1, as in Debian 12's QEMU 7.2): how often each translation
// block executed. At exit writes "vaddr n_insns execs" per block to out=PATH (default stderr).
// The API is declared here (only the calls used) so that no QEMU headers are needed.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t,
                                           void (*)(qemu_plugin_id_t, struct qemu_plugin_tb*));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb*, enum qemu_plugin_op, void*,
                                              uint64_t);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb*);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb*);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, void (*)(qemu_plugin_id_t, void*), void*);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

// Open addressing on (vaddr, n): a block retranslated with the same extent shares its counter.
typedef struct {
  uint64_t vaddr, n, execs;
} Block;
enum { kSlots = 1 << 20 };
static Block* blocks;
static char path[1024];

static Block* Slot(uint64_t vaddr, uint64_t n) {
  uint64_t i = ((vaddr * 0x9E3779B97F4A7C15ull) ^ n) >> 44;
  for (;; i = (i + 1) & (kSlots - 1)) {
    Block* b = &blocks[i];
    if (b->n == 0) {
      b->vaddr = vaddr;
      b->n = n;
      return b;
    }
    if (b->vaddr == vaddr && b->n == n) return b;
  }
}

static void OnTranslate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  Block* b = Slot(qemu_plugin_tb_vaddr(tb), qemu_plugin_tb_n_insns(tb));
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs, 1);
}

static void OnExit(qemu_plugin_id_t id, void* unused) {
  (void)id;
  (void)unused;
  FILE* f = path[0] ? fopen(path, "w") : stderr;
  if (!f) return;
  for (uint32_t i = 0; i < kSlots; ++i) {
    if (blocks[i].n && blocks[i].execs) {
      fprintf(f, "%#llx %llu %llu\n", (unsigned long long)blocks[i].vaddr,
              (unsigned long long)blocks[i].n, (unsigned long long)blocks[i].execs);
    }
  }
  if (f != stderr) fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t* info, int argc,
                                                               char** argv) {
  (void)info;
  for (int i = 0; i < argc; ++i) {
    if (!strncmp(argv[i], "out=", 4)) snprintf(path, sizeof path, "%s", argv[i] + 4);
  }
  blocks = calloc(kSlots, sizeof(Block));
  if (!blocks) return -1;
  qemu_plugin_register_vcpu_tb_trans_cb(id, OnTranslate);
  qemu_plugin_register_atexit_cb(id, OnExit, NULL);
  return 0;
}
