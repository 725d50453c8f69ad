#include "orfeas/neural/torch_checkpoint.h"

#include <caffe2/serialize/inline_container.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "orfeas/core/error.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little,
              "torch.save data records are little-endian");

// A value of the pickle machine. Lists and dicts are shared (the memo refers to them).
struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct Value {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kTuple,
    kList,
    kDict,
    kTensor,
    kGlobal,
    kObject
  };
  Kind kind = Kind::kNone;
  int64_t integer = 0;
  double real = 0;
  std::string text;             // kString; kGlobal and kObject: "module.name" of the class
  std::vector<ValuePtr> items;  // kTuple, kList
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // kDict, in insertion order
  at::Tensor tensor;                                   // kTensor
};

ValuePtr make(Value::Kind kind) {
  auto value = std::make_shared<Value>();
  value->kind = kind;
  return value;
}

std::string kind_name(const Value& value) {
  switch (value.kind) {
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kFloat:
      return "float";
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kTuple:
      return "tuple";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kDict:
      return "dict";
    case Value::Kind::kTensor:
      return "tensor";
    case Value::Kind::kGlobal:
    case Value::Kind::kObject:
      return value.text;
  }
  return "value";
}

// The dtype a torch.<X>Storage class stores.
std::optional<at::ScalarType> storage_dtype(const std::string& name) {
  static const std::map<std::string, at::ScalarType> kTypes = {
      {"torch.FloatStorage", at::kFloat}, {"torch.DoubleStorage", at::kDouble},
      {"torch.HalfStorage", at::kHalf},   {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.LongStorage", at::kLong},   {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort}, {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},   {"torch.BoolStorage", at::kBool},
  };
  const auto found = kTypes.find(name);
  if (found == kTypes.end()) return std::nullopt;
  return found->second;
}

class Unpickler {
 public:
  Unpickler(const fs::path& file, caffe2::serialize::PyTorchStreamReader& archive,
            std::string_view pickle)
      : file_(file), archive_(archive), pickle_(pickle) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorCode::kBadInput, "cannot read weights file '" + file_.string() + "': " + what,
                {{"path", file_.string()}});
  }

  ValuePtr run() {
    while (true) {
      const uint8_t op = byte();
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1) fail("the pickle does not leave exactly one value");
    return stack_.back();
  }

 private:
  uint8_t byte() {
    if (pos_ >= pickle_.size()) fail("the pickle is truncated");
    return static_cast<uint8_t>(pickle_[pos_++]);
  }

  std::string_view bytes(uint64_t n) {
    if (n > pickle_.size() - pos_) fail("the pickle is truncated");
    const std::string_view out = pickle_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  uint64_t unsigned_le(int n) {
    uint64_t value = 0;
    for (int i = 0; i < n; ++i) value |= static_cast<uint64_t>(byte()) << (8 * i);
    return value;
  }

  std::string line() {
    const size_t end = pickle_.find('\n', pos_);
    if (end == std::string_view::npos) fail("the pickle is truncated");
    std::string out(pickle_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }

  ValuePtr pop() {
    if (stack_.empty()) fail("the pickle pops an empty stack");
    ValuePtr value = std::move(stack_.back());
    stack_.pop_back();
    return value;
  }

  ValuePtr& top() {
    if (stack_.empty()) fail("the pickle reads an empty stack");
    return stack_.back();
  }

  // The values pushed since the last MARK, which is removed.
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) fail("the pickle has no MARK");
    const size_t mark = marks_.back();
    marks_.pop_back();
    if (mark > stack_.size()) fail("the pickle's MARK is below its stack");
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }

  void push(ValuePtr value) { stack_.push_back(std::move(value)); }

  void push_int(int64_t n) {
    auto value = make(Value::Kind::kInt);
    value->integer = n;
    push(std::move(value));
  }

  void push_string(std::string_view text) {
    auto value = make(Value::Kind::kString);
    value->text = std::string(text);
    push(std::move(value));
  }

  void push_tuple(std::vector<ValuePtr> items) {
    auto value = make(Value::Kind::kTuple);
    value->items = std::move(items);
    push(std::move(value));
  }

  ValuePtr& memo(uint64_t index) {
    const auto found = memo_.find(index);
    if (found == memo_.end()) fail("the pickle reads an unset memo entry");
    return found->second;
  }

  static void set_item(Value& dict, ValuePtr key, ValuePtr value) {
    for (auto& entry : dict.entries) {
      if (entry.first->kind == Value::Kind::kString && key->kind == Value::Kind::kString &&
          entry.first->text == key->text) {
        entry.second = std::move(value);
        return;
      }
    }
    dict.entries.emplace_back(std::move(key), std::move(value));
  }

  Value& expect(ValuePtr& value, Value::Kind kind, const char* what) {
    if (value->kind != kind)
      fail(std::string("the pickle applies ") + what + " to a " + kind_name(*value));
    return *value;
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80:
        byte();
        break;  // PROTO
      case 0x95:
        unsigned_le(8);
        break;  // FRAME
      case '(':
        marks_.push_back(stack_.size());
        break;  // MARK
      case '0':
        pop();
        break;  // POP
      case '1':
        pop_to_mark();
        break;  // POP_MARK
      case '2':
        push(top());
        break;  // DUP
      case 'N':
        push(make(Value::Kind::kNone));
        break;
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        auto value = make(Value::Kind::kBool);
        value->integer = op == 0x88;
        push(std::move(value));
      } break;
      case 'J':
        push_int(static_cast<int32_t>(unsigned_le(4)));
        break;  // BININT
      case 'K':
        push_int(static_cast<int64_t>(unsigned_le(1)));
        break;  // BININT1
      case 'M':
        push_int(static_cast<int64_t>(unsigned_le(2)));
        break;      // BININT2
      case 0x8a: {  // LONG1: n-byte little-endian two's complement
        const int n = byte();
        if (n > 8) fail("the pickle holds an integer wider than 64 bits");
        uint64_t value = unsigned_le(n);
        if (n > 0 && n < 8 && (value >> (8 * n - 1)) & 1) value |= ~uint64_t{0} << (8 * n);
        push_int(static_cast<int64_t>(value));
      } break;
      case 'G': {  // BINFLOAT: big-endian double
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = bits << 8 | byte();
        auto value = make(Value::Kind::kFloat);
        value->real = std::bit_cast<double>(bits);
        push(std::move(value));
      } break;
      case 'X':  // BINUNICODE
      case 'T':  // BINSTRING
      case 'B':  // BINBYTES
        push_string(bytes(unsigned_le(4)));
        break;
      case 0x8c:  // SHORT_BINUNICODE
      case 'U':   // SHORT_BINSTRING
      case 'C':   // SHORT_BINBYTES
        push_string(bytes(byte()));
        break;
      case 0x8d:  // BINUNICODE8
      case 0x8e:  // BINBYTES8
        push_string(bytes(unsigned_le(8)));
        break;
      case ')':
        push_tuple({});
        break;
      case 't':
        push_tuple(pop_to_mark());
        break;
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        const size_t n = op - 0x84;
        if (stack_.size() < n) fail("the pickle pops an empty stack");
        std::vector<ValuePtr> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        push_tuple(std::move(items));
      } break;
      case ']':
        push(make(Value::Kind::kList));
        break;
      case 'l': {
        auto list = make(Value::Kind::kList);
        list->items = pop_to_mark();
        push(std::move(list));
      } break;
      case 'a': {  // APPEND
        ValuePtr item = pop();
        expect(top(), Value::Kind::kList, "APPEND").items.push_back(std::move(item));
      } break;
      case 'e': {  // APPENDS
        std::vector<ValuePtr> items = pop_to_mark();
        Value& list = expect(top(), Value::Kind::kList, "APPENDS");
        list.items.insert(list.items.end(), items.begin(), items.end());
      } break;
      case '}':
        push(make(Value::Kind::kDict));
        break;
      case 'd': {  // DICT
        std::vector<ValuePtr> items = pop_to_mark();
        if (items.size() % 2) fail("the pickle builds a dict from an odd number of items");
        auto dict = make(Value::Kind::kDict);
        for (size_t i = 0; i < items.size(); i += 2) set_item(*dict, items[i], items[i + 1]);
        push(std::move(dict));
      } break;
      case 's': {  // SETITEM
        ValuePtr value = pop();
        ValuePtr key = pop();
        set_item(expect(top(), Value::Kind::kDict, "SETITEM"), std::move(key), std::move(value));
      } break;
      case 'u': {  // SETITEMS
        std::vector<ValuePtr> items = pop_to_mark();
        if (items.size() % 2) fail("the pickle sets an odd number of dict items");
        Value& dict = expect(top(), Value::Kind::kDict, "SETITEMS");
        for (size_t i = 0; i < items.size(); i += 2) set_item(dict, items[i], items[i + 1]);
      } break;
      case 'q':
        memo_[byte()] = top();
        break;  // BINPUT
      case 'r':
        memo_[unsigned_le(4)] = top();
        break;  // LONG_BINPUT
      case 0x94:
        memo_[memo_.size()] = top();
        break;  // MEMOIZE
      case 'h':
        push(memo(byte()));
        break;  // BINGET
      case 'j':
        push(memo(unsigned_le(4)));
        break;     // LONG_BINGET
      case 'c': {  // GLOBAL
        const std::string module = line();
        const std::string name = line();
        auto global = make(Value::Kind::kGlobal);
        global->text = module + "." + name;
        push(std::move(global));
      } break;
      case 0x93: {  // STACK_GLOBAL
        ValuePtr name = pop();
        ValuePtr module = pop();
        auto global = make(Value::Kind::kGlobal);
        global->text = module->text + "." + name->text;
        push(std::move(global));
      } break;
      case 'R':     // REDUCE
      case 0x81: {  // NEWOBJ
        ValuePtr args = pop();
        ValuePtr callable = pop();
        if (callable->kind != Value::Kind::kGlobal || args->kind != Value::Kind::kTuple) {
          fail("the pickle calls something other than a class or function");
        }
        push(call(callable->text, args->items));
      } break;
      case 'b':  // BUILD: sets an object's state; dicts (OrderedDict._metadata) and opaque
        pop();   // objects keep none of it
        if (stack_.empty()) fail("the pickle applies BUILD to nothing");
        break;
      case 'Q':
        push(load_storage(pop()));
        break;  // BINPERSID
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("the pickle uses the unsupported opcode ") + hex);
      }
    }
  }

  // What calling `name(args...)` in the pickle gives: dicts, tensors; any other class an opaque
  // object that only its name describes.
  ValuePtr call(const std::string& name, const std::vector<ValuePtr>& args) {
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      auto dict = make(Value::Kind::kDict);
      if (!args.empty()) fail("the pickle builds an OrderedDict from arguments");
      return dict;
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (args.size() < 4 || args[0]->kind != Value::Kind::kTensor ||
          args[1]->kind != Value::Kind::kInt || args[2]->kind != Value::Kind::kTuple ||
          args[3]->kind != Value::Kind::kTuple) {
        fail("the pickle rebuilds a tensor from malformed arguments");
      }
      const std::vector<int64_t> size = int_list(*args[2]);
      const std::vector<int64_t> stride = int_list(*args[3]);
      const at::Tensor& storage = args[0]->tensor;
      if (size.size() != stride.size()) fail("a tensor's size and stride differ in length");
      int64_t last = args[1]->integer;  // the largest element index the view touches
      if (last < 0) fail("a tensor has a negative storage offset");
      bool empty = false;
      for (size_t i = 0; i < size.size(); ++i) {
        if (size[i] < 0 || stride[i] < 0) fail("a tensor has a negative size or stride");
        if (size[i] == 0) empty = true;
        last += (size[i] - 1) * stride[i];
      }
      if (!empty && last >= storage.numel()) fail("a tensor reaches past the end of its storage");
      auto tensor = make(Value::Kind::kTensor);
      tensor->tensor = empty ? at::empty(size, storage.options())
                             : storage.as_strided(size, stride, args[1]->integer);
      return tensor;
    }
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (args.empty() || args[0]->kind != Value::Kind::kTensor) {
        fail("the pickle rebuilds a parameter from malformed arguments");
      }
      return args[0];
    }
    auto object = make(Value::Kind::kObject);
    object->text = name;
    return object;
  }

  std::vector<int64_t> int_list(const Value& tuple) {
    std::vector<int64_t> out;
    for (const ValuePtr& item : tuple.items) {
      if (item->kind != Value::Kind::kInt) fail("a tensor's size or stride is not integers");
      out.push_back(item->integer);
    }
    return out;
  }

  // A persistent id ("storage", torch.<X>Storage, key, location, numel): the record data/<key> as
  // a flat CPU tensor, shared by every tensor viewing it.
  ValuePtr load_storage(const ValuePtr& id) {
    const std::vector<ValuePtr>& parts = id->items;
    if (id->kind != Value::Kind::kTuple || parts.size() != 5 ||
        parts[0]->kind != Value::Kind::kString || parts[0]->text != "storage" ||
        parts[1]->kind != Value::Kind::kGlobal || parts[2]->kind != Value::Kind::kString ||
        parts[4]->kind != Value::Kind::kInt) {
      fail("the pickle refers to external data other than a tensor storage");
    }
    const std::optional<at::ScalarType> type = storage_dtype(parts[1]->text);
    if (!type) fail("unsupported storage type " + parts[1]->text);
    const std::string& key = parts[2]->text;
    const auto cached = storages_.find(key);
    if (cached != storages_.end()) return cached->second;

    const int64_t numel = parts[4]->integer;
    const std::string record = "data/" + key;
    if (numel < 0 || !archive_.hasRecord(record))
      fail("storage record '" + record + "' is missing");
    auto tensor = make(Value::Kind::kTensor);
    const auto bytes = static_cast<size_t>(numel) * at::elementSize(*type);
    if (bytes == 0) {
      tensor->tensor = at::empty({0}, at::TensorOptions().dtype(*type));
    } else {
      auto [data, size] = archive_.getRecord(record);
      if (size != bytes) {
        fail("storage record '" + record + "' holds " + std::to_string(size) + " bytes, not " +
             std::to_string(bytes));
      }
      auto owner = std::make_shared<at::DataPtr>(std::move(data));
      void* raw = owner->get();
      tensor->tensor = at::from_blob(
          raw, {numel}, [owner](void*) {}, at::TensorOptions().dtype(*type));
      if (reinterpret_cast<uintptr_t>(raw) % at::elementSize(*type) != 0) {
        tensor->tensor = tensor->tensor.clone();
      }
    }
    storages_.emplace(key, tensor);
    return tensor;
  }

  const fs::path& file_;
  caffe2::serialize::PyTorchStreamReader& archive_;
  std::string_view pickle_;
  size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
  std::map<std::string, ValuePtr> storages_;
};

// Nesting deeper than this is no checkpoint (and may be a dict that contains itself).
constexpr int kMaxDepth = 32;

void flatten(const Value& value, const std::string& name, int depth, const fs::path& file,
             std::map<std::string, at::Tensor>& tensors) {
  if (depth > kMaxDepth) {
    throw Error(ErrorCode::kBadInput,
                "weights file '" + file.string() + "' nests dicts too deeply at '" + name + "'",
                {{"path", file.string()}});
  }
  if (value.kind == Value::Kind::kTensor && depth > 0) {
    tensors.emplace(name, value.tensor);
    return;
  }
  if (value.kind != Value::Kind::kDict) {
    throw Error(ErrorCode::kBadInput,
                "weights file '" + file.string() + "' holds a " + kind_name(value) +
                    (depth ? " at '" + name + "'" : " at the top") +
                    " where a tensor or a dict of tensors belongs",
                {{"path", file.string()}, {"entry", name}});
  }
  for (const auto& [key, item] : value.entries) {
    if (key->kind != Value::Kind::kString) {
      throw Error(ErrorCode::kBadInput,
                  "weights file '" + file.string() + "' has a non-string key under '" + name + "'",
                  {{"path", file.string()}});
    }
    flatten(*item, name.empty() ? key->text : name + "." + key->text, depth + 1, file, tensors);
  }
}

}  // namespace

std::map<std::string, at::Tensor> read_torch_checkpoint(const fs::path& file) {
  if (!std::ifstream(file).good()) {
    throw Error(ErrorCode::kNotFound, "cannot open weights file '" + file.string() + "'",
                {{"path", file.string()}});
  }
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> archive;
  std::string pickle;
  try {
    archive = std::make_unique<caffe2::serialize::PyTorchStreamReader>(file.string());
    if (archive->hasRecord("byteorder")) {
      auto [data, size] = archive->getRecord("byteorder");
      if (std::string(static_cast<const char*>(data.get()), size) != "little") {
        throw Error(ErrorCode::kBadInput,
                    "weights file '" + file.string() + "' was saved on a big-endian machine",
                    {{"path", file.string()}});
      }
    }
    auto [data, size] = archive->getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(data.get()), size);
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::kBadInput,
                "weights file '" + file.string() +
                    "' is not a torch.save zip archive: " + e.what_without_backtrace(),
                {{"path", file.string()}});
  }
  std::map<std::string, at::Tensor> tensors;
  try {
    const ValuePtr root = Unpickler(file, *archive, pickle).run();
    flatten(*root, "", 0, file, tensors);
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::kBadInput,
                "cannot read weights file '" + file.string() + "': " + e.what_without_backtrace(),
                {{"path", file.string()}});
  }
  return tensors;
}

}  // namespace orfeas::neural
