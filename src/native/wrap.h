// Method and accessor glue for every ObjectWrap class of the addon.
//
// node-addon-api's own InstanceMethod trusts `this`: a method taken from one class and called on an
// object of another (`Timer.prototype.start.call(loop)`) would reinterpret foreign memory. These
// wrappers first check the object's Node-API type tag, so the raw binding cannot be crashed that way.
#pragma once

#include <napi.h>

#include "errors.h"

namespace uvkit {

template <typename T>
T* UnwrapThis(const Napi::CallbackInfo& info) {
  bool tagged = false;
  napi_status status = napi_check_object_type_tag(info.Env(), info.This(), &T::kTypeTag, &tagged);
  T* self = (status == napi_ok && tagged) ? Napi::ObjectWrap<T>::Unwrap(info.This().As<Napi::Object>()) : nullptr;
  if (self == nullptr && !info.Env().IsExceptionPending()) ThrowInvalidThis(info.Env(), T::kClassName);
  return self;
}

// M is a member function of T or of one of its bases:
//   Napi::Value (C::*)(const Napi::CallbackInfo&)                     methods and getters
//   void (C::*)(const Napi::CallbackInfo&, const Napi::Value&)        setters
template <typename T, auto M>
napi_value CheckedMethod(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  T* self = UnwrapThis<T>(info);
  if (self == nullptr) return nullptr;
  Napi::Value result = (self->*M)(info);
  self->AfterJsCall();
  return result;
}

template <typename T, auto M>
napi_value CheckedSetter(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  T* self = UnwrapThis<T>(info);
  if (self == nullptr) return nullptr;
  (self->*M)(info, info[0]);
  self->AfterJsCall();
  return nullptr;
}

template <typename T, auto M>
Napi::ClassPropertyDescriptor<T> Method(const char* name) {
  return napi_property_descriptor{name, nullptr, &CheckedMethod<T, M>, nullptr, nullptr, nullptr, napi_default_method, nullptr};
}

template <typename T, auto G>
Napi::ClassPropertyDescriptor<T> Getter(const char* name) {
  return napi_property_descriptor{name, nullptr, nullptr, &CheckedMethod<T, G>, nullptr, nullptr, napi_configurable, nullptr};
}

template <typename T, auto G, auto S>
Napi::ClassPropertyDescriptor<T> Accessor(const char* name) {
  return napi_property_descriptor{name, nullptr, nullptr, &CheckedMethod<T, G>, &CheckedSetter<T, S>, nullptr, napi_configurable, nullptr};
}

}  // namespace uvkit
