// Method and accessor glue for every ObjectWrap class of the addon.
//
// Methods: napi_define_class gives them a V8 signature, so V8 itself rejects a receiver that was not
// made by the class ("Illegal invocation") and napi_unwrap can be trusted. Accessors get no such
// check (`Object.getOwnPropertyDescriptor(Timer.prototype, 'active').get.call(loop)`), so they first
// check the object's Node-API type tag: the raw binding cannot be made to reinterpret foreign memory.
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
  T* self = Napi::ObjectWrap<T>::Unwrap(info.This().As<Napi::Object>());  // receiver checked by V8
  if (self == nullptr) {
    ThrowInvalidThis(env, T::kClassName);
    return nullptr;
  }
  Napi::Value result = (self->*M)(info);
  self->AfterJsCall();
  return result;
}

template <typename T, auto M>
napi_value CheckedGetter(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  T* self = UnwrapThis<T>(info);
  if (self == nullptr) return nullptr;
  return (self->*M)(info);
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
  return napi_property_descriptor{name, nullptr, nullptr, &CheckedGetter<T, G>, nullptr, nullptr, napi_configurable, nullptr};
}

template <typename T, auto G, auto S>
Napi::ClassPropertyDescriptor<T> Accessor(const char* name) {
  return napi_property_descriptor{name, nullptr, nullptr, &CheckedGetter<T, G>, &CheckedSetter<T, S>, nullptr, napi_configurable, nullptr};
}

}  // namespace uvkit
