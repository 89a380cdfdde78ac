// Input readers and the .npy writer: formats, conversions and errors.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "models.h"
#include "tessera/driver/io.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"
#include "tessera/ref/kws_frontend.h"

namespace tsr::drv {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path p;
  TempDir() {
    p = fs::temp_directory_path() / ("tsr_io_" + std::to_string(::getpid()) + "_" +
                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(p);
  }
  ~TempDir() { fs::remove_all(p); }
  std::string file(const std::string& n) const { return (p / n).string(); }
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string npy(const std::string& descr, const std::string& shape, const std::string& data) {
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string s = std::string("\x93NUMPY\x01\x00", 8);
  s += static_cast<char>(h.size() & 0xff);
  s += static_cast<char>(h.size() >> 8);
  return s + h + data;
}

Tensor input_tensor(std::vector<int> shape, float scale, int zp) {
  Tensor t;
  t.name = "in";
  t.shape = std::move(shape);
  t.type = DType::Int8;
  t.quant.scale = {scale};
  t.quant.zero_point = {zp};
  return t;
}

void expect_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Io, NpyInt8Uint8Float) {
  TempDir d;
  const Tensor t = input_tensor({1, 4}, 0.5F, -3);
  write_file(d.file("a.npy"), npy("|i1", "(1, 4)", std::string("\x01\xff\x7f\x80", 4)));
  EXPECT_EQ(read_input(d.file("a.npy"), t), (std::vector<int8_t>{1, -1, 127, -128}));
  write_file(d.file("b.npy"), npy("|u1", "(4,)", std::string("\x00\x80\xff\x81", 4)));
  EXPECT_EQ(read_input(d.file("b.npy"), t), (std::vector<int8_t>{-128, 0, 127, 1}));
  // float: round(x / 0.5) - 3, clamped: 1.0 -> -1; -0.75 -> round(-1.5) = -2 -> -5; 100 -> 127;
  // 0.25 -> round(0.5) = 1 -> -2.
  const float f[4] = {1.0F, -0.75F, 100.0F, 0.25F};
  write_file(d.file("c.npy"), npy("<f4", "(1, 4)", std::string(reinterpret_cast<const char*>(f), 16)));
  EXPECT_EQ(read_input(d.file("c.npy"), t), (std::vector<int8_t>{-1, -5, 127, -2}));
}

TEST(Io, NpyErrors) {
  TempDir d;
  const Tensor t = input_tensor({1, 4}, 0.5F, 0);
  write_file(d.file("a.npy"), npy("|i1", "(1, 5)", std::string(5, '\0')));
  expect_error([&] { read_input(d.file("a.npy"), t); }, "5 elements");
  write_file(d.file("b.npy"), npy("<i4", "(4,)", std::string(16, '\0')));
  expect_error([&] { read_input(d.file("b.npy"), t); }, "dtype '<i4'");
  write_file(d.file("c.npy"), npy("|i1", "(4,)", std::string(2, '\0')));
  expect_error([&] { read_input(d.file("c.npy"), t); }, "truncated");
  write_file(d.file("d.npy"), "not numpy");
  expect_error([&] { read_input(d.file("d.npy"), t); }, "not an .npy");
}

TEST(Io, NpyWriteRoundTrip) {
  TempDir d;
  write_npy(d.file("o.npy"), {1, -2, 3, -4, 5, -6}, {2, 3});
  const Npy n = read_npy(d.file("o.npy"));
  EXPECT_EQ(n.descr, "|i1");
  EXPECT_EQ(n.shape, (std::vector<int>{2, 3}));
  EXPECT_EQ(n.bytes, (std::vector<uint8_t>{1, 254, 3, 252, 5, 250}));
}

TEST(Io, BmpRowsTopToBottom) {
  // person.bmp: 96x96 8-bit, rows stored bottom-up. Row 0 of the tensor is the file's last row.
  const Graph g = load_tflite(test::model("person_detect.tflite"));
  const auto in = read_input(test::model("person.bmp"), g.input());
  std::ifstream f(test::model("person.bmp"), std::ios::binary);
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const uint32_t off = b[10] | b[11] << 8 | b[12] << 16 | b[13] << 24;
  ASSERT_EQ(in.size(), 96U * 96U);
  for (int x = 0; x < 96; ++x) {
    EXPECT_EQ(static_cast<uint8_t>(in[static_cast<size_t>(x)]), b[off + 95 * 96 + x]);
    EXPECT_EQ(static_cast<uint8_t>(in[95 * 96 + static_cast<size_t>(x)]), b[off + x]);
  }
}

TEST(Io, PgmAndImageErrors) {
  TempDir d;
  const Tensor t = input_tensor({1, 2, 3, 1}, 1.0F, 0);
  write_file(d.file("a.pgm"), std::string("P5\n# comment\n3 2\n255\n") + std::string("\x01\x02\x03\xfd\xfe\xff", 6));
  EXPECT_EQ(read_input(d.file("a.pgm"), t), (std::vector<int8_t>{1, 2, 3, -3, -2, -1}));
  write_file(d.file("b.pgm"), std::string("P5 4 4 255\n") + std::string(16, '\0'));
  expect_error([&] { read_input(d.file("b.pgm"), t); }, "an image gives 1x4x4x1");
  write_file(d.file("c.pgm"), std::string("P5 3 2 65535\n") + std::string(12, '\0'));
  expect_error([&] { read_input(d.file("c.pgm"), t); }, "8-bit only");
}

TEST(Io, WavThroughTheAudioFrontEnd) {
  // micro_speech's input is 49 frames x 40 features; the front end is the escape core's golden
  // model (tested against its own hand-worked cases in tb/ref and tb/fw).
  const Graph g = load_tflite(test::model("micro_speech_quantized.tflite"));
  const auto in = read_input(test::model("yes_1000ms.wav"), g.input());
  ASSERT_EQ(in.size(), 1960U);
  const ref::KwsTables tables = ref::make_kws_tables();  // the front end keeps a reference
  ref::KwsFrontend fe(tables);
  const auto frames = fe.process(ref::read_wav_pcm16(test::model("yes_1000ms.wav")).samples);
  ASSERT_GE(frames.size(), 49U);
  for (size_t k = 0; k < 40; ++k) EXPECT_EQ(in[48 * 40 + k], frames[48].feature[k]);
  // A model input that is not whole 40-channel frames, or more frames than the audio has.
  expect_error([&] { read_input(test::model("yes_1000ms.wav"), input_tensor({1, 30}, 1.0F, 0)); }, "40-channel");
  expect_error([&] { read_input(test::model("yes_1000ms.wav"), input_tensor({1, 4000}, 1.0F, 0)); }, "needs 100");
}

TEST(Io, RawAndLabels) {
  TempDir d;
  const Tensor t = input_tensor({1, 3}, 1.0F, 0);
  write_file(d.file("x.bin"), std::string("\x05\xfb\x00", 3));
  EXPECT_EQ(read_input(d.file("x.bin"), t), (std::vector<int8_t>{5, -5, 0}));
  write_file(d.file("y.bin"), std::string(4, '\0'));
  expect_error([&] { read_input(d.file("y.bin"), t); }, "needs 3");
  expect_error([&] { read_input(d.file("nope.bin"), t); }, "cannot open");
  write_file(d.file("l.txt"), "cat\r\ndog\n");
  EXPECT_EQ(read_labels(d.file("l.txt")), (std::vector<std::string>{"cat", "dog"}));
}

}  // namespace
}  // namespace tsr::drv
