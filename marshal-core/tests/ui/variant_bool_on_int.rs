use marshal_core::marshal::Marshal;

#[derive(Marshal)]
struct S {
    #[marshal(as = variant_bool)]
    a: i32,
}

fn main() {}
