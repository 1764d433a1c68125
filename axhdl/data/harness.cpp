// axhdl import harness: evaluates module ${top} on operand code pairs in one process.
//   harness table OUT      every (a, b) pair, a-major, as little-endian uint64 results
//   harness eval IN OUT    the uint64 (a, b) pairs in IN, results to OUT
#include "Vaxhdl.h"
#include "verilated.h"
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <vector>

static Vaxhdl* dut;

static inline uint64_t eval1(uint64_t a, uint64_t b) {
    dut->${a} = static_cast<std::remove_reference<decltype(dut->${a})>::type>(a);
    dut->${b} = static_cast<std::remove_reference<decltype(dut->${b})>::type>(b);
    dut->eval();
    return static_cast<uint64_t>(dut->${p}) & ${mask}ULL;
}

static int put(const char* path, const std::vector<uint64_t>& v) {
    FILE* f = std::fopen(path, "wb");
    if (!f || std::fwrite(v.data(), 8, v.size(), f) != v.size()) {
        std::fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    return std::fclose(f) != 0;
}

int main(int argc, char** argv) {
    VerilatedContext ctx;
    Vaxhdl top{&ctx, "top"};
    dut = &top;
    int rc = 2;
    if (argc == 3 && !std::strcmp(argv[1], "table")) {
        const uint64_t na = 1ULL << ${na}, nb = 1ULL << ${nb};
        std::vector<uint64_t> out(na * nb);
        for (uint64_t a = 0; a < na; ++a)
            for (uint64_t b = 0; b < nb; ++b) out[a * nb + b] = eval1(a, b);
        rc = put(argv[2], out);
    } else if (argc == 4 && !std::strcmp(argv[1], "eval")) {
        FILE* f = std::fopen(argv[2], "rb");
        if (!f) { std::fprintf(stderr, "cannot read %s\n", argv[2]); return 1; }
        std::vector<uint64_t> in;
        uint64_t buf[2];
        while (std::fread(buf, 8, 2, f) == 2) { in.push_back(buf[0]); in.push_back(buf[1]); }
        std::fclose(f);
        std::vector<uint64_t> out(in.size() / 2);
        for (size_t i = 0; i < out.size(); ++i) out[i] = eval1(in[2 * i], in[2 * i + 1]);
        rc = put(argv[3], out);
    } else {
        std::fprintf(stderr, "usage: %s table OUT | eval IN OUT\n", argv[0]);
    }
    top.final();
    return rc;
}
