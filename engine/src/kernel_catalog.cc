#include "engine/src/kernel_catalog.h"

#include "kernels/common/select.h"
#include "kernels/vec/vec.h"

namespace lutra::engine {
namespace {

template <typename Desc>
std::vector<KernelVariant> ListOf(std::span<const Desc> table) {
  std::vector<KernelVariant> out;
  for (const Desc& d : table) out.push_back({d.name, d.isa});
  return out;
}

template <typename Desc>
const char* SelectedOf(std::span<const Desc> table, arch::IsaSet features) {
  const Desc* d = kernels::SelectFirst(table, features);
  return d != nullptr ? d->name : "none";
}

// One entry per registry function; the lambdas adapt each registry to the uniform shape.
#define LUTRA_OP(op_name, registry)                                          \
  KernelOp {                                                                 \
    op_name, [](arch::IsaSet f) { return SelectedOf(registry(), f); },       \
        [] { return ListOf(registry()); }                                    \
  }

const KernelOp kOps[] = {
    LUTRA_OP("vec.dot", kernels::vec::DotKernels),
    LUTRA_OP("vec.axpy", kernels::vec::AxpyKernels),
    LUTRA_OP("vec.scale", kernels::vec::ScaleKernels),
    LUTRA_OP("vec.add", kernels::vec::AddKernels),
    LUTRA_OP("vec.mul", kernels::vec::MulKernels),
    LUTRA_OP("vec.silu", kernels::vec::SiluKernels),
};

#undef LUTRA_OP

}  // namespace

std::span<const KernelOp> KernelOps() { return kOps; }

}  // namespace lutra::engine
