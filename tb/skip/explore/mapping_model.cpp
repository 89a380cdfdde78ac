// Cycle model of depth-4 skip mappings on ResNet-8's real activations (docs/skip.md, "Tap groups
// across kernel rows"); not built by default: `cmake --build build --target skip_mapping_model`,
// then `build/tb/skip/skip_mapping_model [unbalanced]`. For every CONV_2D layer it forms the beat
// stream the execute unit sends for three tap-group mappings and counts elastic_cycles() (the
// model the RTL follows exactly) for psum FIFO 2 / row FIFO 32 and 4 / 64, times the output
// blocks: "cur" = taps kx .. kx+T-1 of one kernel row a pass, "rowrot" = the same with kernel row
// ky's rotations offset by ky, "flat" = T taps a pass in flattened ky*k_w + kx order. The graph is
// row-balanced on no_person.bmp (the bench's calibration) unless an argument is given; the stream
// is person.bmp's. Layer 0 runs the k_w fold on the RTL; its line here is the plain lowering.
#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include "tessera/driver/balance.h"
#include "tessera/driver/interp.h"
#include "tessera/driver/io.h"
#include "tessera/driver/tflite.h"
#include "tessera/ref/kernels.h"
#include "tessera/skip/model.h"
#include "tessera/skip/study.h"

using namespace tsr;
using namespace tsr::drv;

int main(int argc, char** /*argv*/) {
  const std::string models = TSR_MODELS_DIR;
  const std::string path = models + "/ic_resnet8_int8.tflite";
  const Graph g0 = load_tflite(path);
  const auto in = skip::cifar_like_input(path, models + "/person.bmp");
  const auto cal = skip::cifar_like_input(path, models + "/no_person.bmp");
  const int R = 16, D = 4;
  dev::DeviceParams dp;
  dp.rows = R; dp.cols = 16; dp.skip_depth = D;
  const BalancedGraph bg = balance_rows(g0, cal, dp);
  const Graph& g = argc > 1 ? g0 : bg.graph;
  const std::vector<skip::LayerStream> streams = skip::conv_streams(g, in);
  {
    const Values vc = interpret(g, cal);
    const auto dens = channel_density(g, vc);
    for (const Op& op : g.ops) {
      if (op.kind != OpKind::Conv2D) continue;
      fmt::print("{} cal density:", op.label());
      for (double x : dens[op.inputs[0]]) fmt::print(" {:.2f}", x);
      fmt::print("\n");
    }
  }
  for (int F : {2, 4}) {
    skip::ElasticParams ep{R, D, F, F == 2 ? 32 : 64};
    double tot[8] = {};
    for (const skip::LayerStream& ls : streams) {
      const int kh = ls.kh, kw = ls.kw, Cin = ls.cin, P = ls.pixels;
      const int chunks = (Cin + R - 1) / R;
      const int ntiles = (ls.cout + 15) / 16;
      // the study's im2col stream (padding taps are zero-point activations)
      auto nzat = [&](int px, int ky, int kx, int c) -> uint8_t {
        if (ky >= kh || kx >= kw || c >= Cin) return 0;
        return ls.nz[static_cast<size_t>(px) * ls.k + static_cast<size_t>((ky * kw + kx) * Cin + c)];
      };
      // a pass: for lane group j -> (ky, kx, chunk, rot)
      struct LG { int ky, kx, ch, rot; };
      using Pass = std::vector<LG>;
      auto run = [&](const std::vector<Pass>& passes) {
        std::vector<uint8_t> nz;
        nz.reserve(passes.size() * P * R * D);
        for (const auto& ps : passes)
          for (int px = 0; px < P; ++px)
            for (int j = 0; j < D; ++j)
              for (int r = 0; r < R; ++r) {
                const LG& l = ps[j];
                nz.push_back(l.ky < 0 ? 0 : nzat(px, l.ky, l.kx, l.ch * R + (r + l.rot) % R));
              }
        const int beats = static_cast<int>(passes.size()) * P;
        const auto st = skip::row_steps(nz, beats, R, D, true);
        return std::pair<double, int>(double(skip::elastic_cycles(ep, st, beats)) * ntiles, beats * ntiles);
      };
      const bool tpair = kw > 1 && (chunks == 1 || chunks == 2);
      const int T = tpair ? D / chunks : 1;
      std::vector<Pass> cur, rowrot, flat;
      if (!tpair) {
        for (int ky = 0; ky < kh; ++ky) for (int kx = 0; kx < kw; ++kx)
          for (int g4 = 0; g4 * D < chunks; ++g4) {
            Pass p;
            for (int j = 0; j < D; ++j) p.push_back(g4 * D + j < chunks ? LG{ky, kx, g4 * D + j, 0} : LG{-1, 0, 0, 0});
            cur.push_back(p);
          }
        rowrot = flat = cur;
      } else {
        for (int ky = 0; ky < kh; ++ky)
          for (int kx = 0; kx < kw; kx += T) {
            Pass p, q;
            for (int j = 0; j < D; ++j) {
              const int t = j / chunks;
              p.push_back(kx + t < kw ? LG{ky, kx + t, j % chunks, t * R / T % R} : LG{-1, 0, 0, 0});
              q.push_back(kx + t < kw ? LG{ky, kx + t, j % chunks, (t + ky) % T * R / T % R} : LG{-1, 0, 0, 0});
            }
            cur.push_back(p); rowrot.push_back(q);
          }
        const int nt = kh * kw;
        for (int f0 = 0; f0 < nt; f0 += T) {
          Pass p;
          for (int j = 0; j < D; ++j) {
            const int t = j / chunks, f = f0 + t;
            p.push_back(f < nt ? LG{f / kw, f % kw, j % chunks, t * R / T % R} : LG{-1, 0, 0, 0});
          }
          flat.push_back(p);
        }
      }
      const double dense = double(P) * kh * kw * chunks * ntiles;
      auto [c1, b1] = run(cur);
      auto [c2, b2] = run(rowrot);
      auto [c3, b3] = run(flat);
      fmt::print("F={} {:>14} {} P={} dense={:7.0f} cur={:7.0f} ({:4.2f}) rowrot={:7.0f} ({:4.2f}) flat={:7.0f} ({:4.2f}) beats {} {} {}\n",
                 F, ls.label, ls.shape, P, dense, c1, dense / c1, c2, dense / c2, c3, dense / c3, b1, b2, b3);
      tot[0] += dense; tot[1] += c1; tot[2] += c2; tot[3] += c3;
    }
    fmt::print("F={} total dense {:.0f} cur {:.0f} ({:.3f}) rowrot {:.0f} ({:.3f}) flat {:.0f} ({:.3f})\n", F, tot[0], tot[1],
               tot[0] / tot[1], tot[2], tot[0] / tot[2], tot[3], tot[0] / tot[3]);
  }
}
