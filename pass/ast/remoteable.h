// Which C types are remoteable, and which expressions may point into far memory. Shared by the
// allocation-site rewriter and the diagnostics.
#ifndef FARPASS_AST_REMOTEABLE_H
#define FARPASS_AST_REMOTEABLE_H

#include "clang/AST/Expr.h"
#include "clang/AST/Type.h"

namespace farpass {

// A record marked __remoteable, or one that embeds such a record (also through arrays).
bool isRemoteableRecord(const clang::RecordDecl *record);
// T, seen through typedefs, qualifiers and arrays, is a remoteable record.
bool isRemoteableType(clang::QualType type);
// T is a pointer to a remoteable type (or to an array of them).
bool isRemoteablePointer(clang::QualType type);

// The value of E is a pointer that may point into a far object: a pointer to a remoteable type,
// &p->field, a decayed array field of a far object, casts and arithmetic on those.
bool mayPointToFar(const clang::Expr *expr);
// The lvalue E may designate memory inside a far object.
bool lvalueMayBeFar(const clang::Expr *expr);

} // namespace farpass

#endif
