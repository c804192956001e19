// Method and accessor glue for every ObjectWrap class of the addon.
//
// napi_define_class gives methods a V8 signature, so V8 itself rejects a receiver that the class did
// not make ("Illegal invocation") and napi_unwrap can be trusted. Accessors get no such check from
// Node-API, so they are defined as methods too (same signature) and DefineClass then turns each of
// those functions into the property's getter and setter. (Node-API type tags would also do, but
// tagging costs a private-property transition per object: a third of a Timer's construction.)
#pragma once

#include <napi.h>

#include <cstddef>
#include <type_traits>
#include <vector>

#include "errors.h"

namespace uvkit {

// M is a member function of T or of one of its bases:
//   Napi::Value (C::*)(const Napi::CallbackInfo&)                     methods and getters
//   void (C::*)(const Napi::CallbackInfo&, const Napi::Value&)        setters
template <typename T, auto M>
napi_value CheckedMethod(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  T* self = Napi::ObjectWrap<T>::Unwrap(info.This().As<Napi::Object>());  // receiver checked by V8
  if (self == nullptr) {
    ThrowInvalidThis(env, T::kClassName);
    return nullptr;
  }
  Napi::Value result = (self->*M)(info);
  self->AfterJsCall();
  return result;
}

// Markers in a descriptor's `data`: which method functions DefineClass turns into accessors.
inline constexpr char kGetterMark = 'g';
inline constexpr char kAccessorMark = 'a';

// The one function behind an accessor: called with no argument it reads (G), with one it writes (S).
template <typename T, auto G, auto S>
Napi::Value AccessorCall(T* self, const Napi::CallbackInfo& info) {
  if constexpr (!std::is_same_v<decltype(S), std::nullptr_t>) {
    if (info.Length() > 0) {
      (self->*S)(info, info[0]);
      return info.Env().Undefined();
    }
  }
  return (self->*G)(info);
}

template <typename T, auto G, auto S>
napi_value CheckedAccessor(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  T* self = Napi::ObjectWrap<T>::Unwrap(info.This().As<Napi::Object>());  // receiver checked by V8
  if (self == nullptr) {
    ThrowInvalidThis(env, T::kClassName);
    return nullptr;
  }
  Napi::Value result = AccessorCall<T, G, S>(self, info);
  if (info.Length() > 0) self->AfterJsCall();
  return result;
}

template <typename T, auto M>
Napi::ClassPropertyDescriptor<T> Method(const char* name) {
  return napi_property_descriptor{name, nullptr, &CheckedMethod<T, M>, nullptr, nullptr, nullptr, napi_default_method, nullptr};
}

template <typename T, auto G>
Napi::ClassPropertyDescriptor<T> Getter(const char* name) {
  void* mark = const_cast<char*>(&kGetterMark);
  return napi_property_descriptor{name, nullptr, &CheckedAccessor<T, G, nullptr>, nullptr, nullptr, nullptr, napi_default_method, mark};
}

template <typename T, auto G, auto S>
Napi::ClassPropertyDescriptor<T> Accessor(const char* name) {
  void* mark = const_cast<char*>(&kAccessorMark);
  return napi_property_descriptor{name, nullptr, &CheckedAccessor<T, G, S>, nullptr, nullptr, nullptr, napi_default_method, mark};
}

// ObjectWrap<T>::DefineClass, then the marked methods become accessors (configurable, not enumerable,
// like the accessors of a JS class).
template <typename T>
Napi::Function DefineClass(Napi::Env env, const char* name, const std::vector<Napi::ClassPropertyDescriptor<T>>& properties) {
  Napi::Function cls = Napi::ObjectWrap<T>::DefineClass(env, name, properties);
  if (env.IsExceptionPending()) return cls;
  Napi::Object prototype = cls.Get("prototype").As<Napi::Object>();
  Napi::Function define_property = env.Global().Get("Object").As<Napi::Object>().Get("defineProperty").As<Napi::Function>();
  for (const auto& property : properties) {
    const napi_property_descriptor& raw = property;
    if (raw.data != &kGetterMark && raw.data != &kAccessorMark) continue;
    Napi::Value fn = prototype.Get(raw.utf8name);
    Napi::Object descriptor = Napi::Object::New(env);
    descriptor.Set("get", fn);
    if (raw.data == &kAccessorMark) descriptor.Set("set", fn);
    descriptor.Set("configurable", true);
    define_property.Call({prototype, Napi::String::New(env, raw.utf8name), descriptor});
  }
  return cls;
}

}  // namespace uvkit
